"use client";

import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Breadcrumb, PageHeader } from "../../../../../src/ui/components.tsx";
import { useTRPC } from "../../../../../src/ui/trpc.tsx";
import { EventList } from "../../../activity/event-list.tsx";

export default function IssuerActivityPage() {
  const { id: issuerId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const issuer = useQuery(trpc.issuers.get.queryOptions({ id: issuerId }));
  return (
    <>
      <Breadcrumb
        items={[
          { label: "Issuers", href: "/issuers" },
          { label: issuer.data?.value.name ?? issuerId, href: `/issuers/${issuerId}` },
          { label: "Activity" },
        ]}
      />
      <PageHeader title="Activity" description="Every change to this issuer, newest first." />
      <EventList resourceId={issuerId} />
    </>
  );
}
