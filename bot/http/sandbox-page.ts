/** The /sandbox page (Chinese UI, phone-sized). Rendered client-side from /sandbox/api/state. */
export function sandboxPageHtml(): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>回访沙盒</title></head><body><h1>回访沙盒</h1><p id="loading">加载中…</p></body></html>`;
}
