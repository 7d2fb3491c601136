"use client";

import "@scalar/api-reference-react/style.css";
import type { ApiReferenceReact } from "@scalar/api-reference-react";
import dynamic from "next/dynamic";
import { type ComponentProps, useEffect, useState } from "react";

type Configuration = ComponentProps<typeof ApiReferenceReact>["configuration"];

// Scalar mounts a Vue app into the page: browser only.
const Scalar = dynamic(() => import("@scalar/api-reference-react").then((m) => m.ApiReferenceReact), {
  ssr: false,
});

function configurationFor(origin: string): Configuration {
  return {
    url: "/v1/openapi.json",
    // The document names the production host; "try it" goes to the server that serves this page.
    servers: [{ url: origin, description: "This server" }],
    // Nothing may be fetched from the internet: no web fonts, no telemetry, no proxy.
    withDefaultFonts: false,
    telemetry: false,
    proxyUrl: "",
    persistAuth: false,
    showDeveloperTools: "never",
    agent: { disabled: true },
    mcp: { disabled: true },
    authentication: { preferredSecurityScheme: "bearerAuth" },
  };
}

/**
 * The interactive API reference: Scalar, bundled with the app (no CDN; the
 * machine may be offline), rendering the document the API itself serves.
 */
export function ApiReference() {
  const [configuration, setConfiguration] = useState<Configuration>();
  useEffect(() => setConfiguration(configurationFor(window.location.origin)), []);
  if (!configuration) return <p>Loading the API reference…</p>;
  return <Scalar configuration={configuration} />;
}
