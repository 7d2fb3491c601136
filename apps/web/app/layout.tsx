import "./globals.css";
import type { ReactNode } from "react";
import { Providers } from "../src/ui/trpc.tsx";

export const metadata = { title: { default: "AuthPI", template: "%s · AuthPI" } };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
