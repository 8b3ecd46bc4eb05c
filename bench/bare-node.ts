/**
 * One bare libp2p node in its own process (bench/lib/bare-libp2p.ts: `murmur agent`'s libp2p
 * without Murmur), for the memory benchmark, which spawns it with an IPC channel and the memory
 * probe preloaded. It starts as `murmur`'s bin.ts does: the compile cache on, then the rest
 * imported, so that bundled (bench/dist/bundle/bare-node.js, built by the memory benchmark with
 * the CLI bundle's esbuild options) it loads as the agent does. Runs until killed, or until the
 * IPC channel closes (memory-probe.ts exits then).
 */
import module from 'node:module'

module.enableCompileCache?.()
const { serveBareNode } = await import('./lib/bare-libp2p.ts')
await serveBareNode()
