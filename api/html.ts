/** Text placed in server-rendered HTML (the dashboard's shell, the public rating page), escaped. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
