// Tailwind CSS 4 through its PostCSS plugin: compiled at build time, nothing fetched at run time.
export default { plugins: { "@tailwindcss/postcss": {} } };
