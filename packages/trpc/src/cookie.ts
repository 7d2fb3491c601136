/** The admin session cookie; the Next.js proxy reads only its presence, the server its value. */
export const SESSION_COOKIE = "authpi_session";
