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
        description="Every change to this issuer, newest first."
      />
      <EventList resourceId={issuerId} />
    </>
  );
}
