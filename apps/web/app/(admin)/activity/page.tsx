"use client";

import { PageHeader } from "../../../src/ui/components.tsx";
import { EventList } from "./event-list.tsx";

export default function ActivityPage() {
  return (
    <>
      <PageHeader
        title="Activity"
        description="Who changed what, and when: every change to this account's issuers, auth methods and API keys. Secrets are never shown, only that one was set."
      />
      <EventList />
    </>
  );
}
