"use client";

import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Breadcrumb, PageHeader } from "./components.tsx";
import { useTRPC } from "./trpc.tsx";

/**
 * The top of every page below one issuer (auth methods, clients, users, activity):
 * Issuers / <issuer name> / <section>, then the page's title and description.
 */
export function IssuerSectionHeader({
  issuerId,
  section,
  title = section,
  description,
}: {
  issuerId: string;
  /** The last breadcrumb. */
  section: string;
  title?: string;
  description: ReactNode;
}) {
  const trpc = useTRPC();
  const issuer = useQuery(trpc.issuers.get.queryOptions({ id: issuerId }));
  return (
    <>
      <Breadcrumb
        items={[
          { label: "Issuers", href: "/issuers" },
          { label: issuer.data?.value.name ?? issuerId, href: `/issuers/${issuerId}` },
          { label: section },
        ]}
      />
      <PageHeader title={title} description={description} />
    </>
  );
}
