"use client";

import { useParams } from "next/navigation";
import { IssuerSectionHeader } from "../../../../../src/ui/issuer-section-header.tsx";
import { EventList } from "../../../activity/event-list.tsx";

export default function IssuerActivityPage() {
  const { id: issuerId } = useParams<{ id: string }>();
  return (
    <>
      <IssuerSectionHeader
        issuerId={issuerId}
        section="Activity"
        description="Every change to this issuer and to its auth methods, clients, users and signing keys, newest first."
      />
      <EventList issuerId={issuerId} />
    </>
  );
}
