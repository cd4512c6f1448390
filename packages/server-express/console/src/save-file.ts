/**
 * Hands the browser a file to save. Files the API serves are fetched with the key in a header and
 * saved from memory: a plain link would need the key in its URL, where logs and history keep it.
 */
export function saveFile(name: string, body: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}
