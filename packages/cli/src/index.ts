/**
 * @murmur/cli: the `murmur` command as a library, for tests and tools that embed it.
 * @packageDocumentation
 */
export { ApiClient, type ApiClientOptions, DEFAULT_API } from './api/client.ts'
export { type AgentControl, type ApiServerOptions, createApiServer, MAX_BODY_BYTES } from './api/server.ts'
export { type AgentProcess, BIN, spawnAgent, stopAgent } from './cluster.ts'
export { CliError, EXIT } from './errors.ts'
export { buildProgram, main } from './main.ts'
export { type AgentEvent, type MemberJson, memberJson } from './model.ts'
export { eventLine, explain, type IO } from './output.ts'
export { membersTable } from './table.ts'
export { decodeInfo, encodeInfo, type NodeInfo } from './tags.ts'
