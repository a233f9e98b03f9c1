/**
 * The `model` field of a multipart/form-data body (audio transcriptions and image edits), found
 * without parsing the uploaded files: only the part headers are looked at.
 */
export function modelFromMultipart(body: Buffer, contentType: string): string | null {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return null;
  const marker = Buffer.from(`--${boundary}`);
  let at = body.indexOf(marker);
  while (at !== -1) {
    const headersStart = at + marker.length + 2;
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd === -1) return null;
    const partHeaders = body.subarray(headersStart, headersEnd).toString('latin1');
    const next = body.indexOf(marker, headersEnd);
    // `name="model"` as the part's own name, never inside `filename="model"`.
    if (/;\s*name="model"\s*(;|\r?$)/im.test(partHeaders) && next !== -1) {
      return body.subarray(headersEnd + 4, next - 2).toString('utf8');
    }
    at = next;
  }
  return null;
}
