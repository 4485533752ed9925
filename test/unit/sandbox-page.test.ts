import { expect, it } from 'vitest';
import { sandboxPageHtml } from '../../bot/http/sandbox-page.js';

it('serves a sandbox page whose inline script parses', () => {
  const html = sandboxPageHtml();
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  expect(scripts.length).toBeGreaterThan(0);
  // The page is a template literal: an escape lost there (a bare newline inside a string) breaks the script.
  for (const script of scripts) expect(() => new Function(script)).not.toThrow();
});
