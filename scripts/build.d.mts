// Types of scripts/build.mjs for the tests that call it.
/** Where builds go [dist/]. */
export const DIST_DIR: string;
/** The current build's entry file when it is up to date with its inputs, else null. */
export function freshEntry(distDir?: string): string | null;
/** Builds into `distDir`/<hash>/ and points `distDir`/current.json at it; returns the entry file. */
export function build(distDir?: string): Promise<string>;
/** The entry file of an up-to-date build, building first when there is none or an input changed. */
export function ensureBuild(distDir?: string): Promise<string>;
