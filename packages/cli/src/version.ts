import { readFileSync } from 'node:fs'

/** Replaced by the version in package.json when scripts/bundle.mjs bundles the command (esbuild define). */
declare const __MURMUR_VERSION__: string | undefined

/**
 * This package's version (`murmur --version`). The bundle has it inlined at build time, so a start
 * reads no file for it; the unbundled build (tests, `node dist/src/bin.js`) reads package.json once.
 */
export const VERSION: string = typeof __MURMUR_VERSION__ === 'string' ? __MURMUR_VERSION__ : readPackageVersion()

function readPackageVersion(): string {
  // dist/src/version.js and src/version.ts are both two levels below the package root... or one
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === '@murmur/cli' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // try the next
    }
  }
  return '0.0.0-unknown'
}
