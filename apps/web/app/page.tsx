export default function Home() {
  return (
    <main>
      <h1>AuthPI</h1>
      <p>Identity platform control plane.</p>
    </main>
  );
}
