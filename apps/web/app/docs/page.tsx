import { ApiReference } from "../../src/docs/api-reference.tsx";

export const metadata = { title: "API reference" };

export default function DocsPage() {
  return (
    <main id="api-reference">
      <ApiReference />
    </main>
  );
}
