/**
 * Durations the CLI uses that are not protocol timings (those come from core DEFAULTS and the
 * profile). Each is a bound on waiting for something outside the engine: a person, a process,
 * an HTTP peer.
 */

/** How long an API client waits for an answer, and how long the server waits for a whole request. */
export const API_REQUEST_TIMEOUT_MS = 30_000
/** How long the API server waits for a request's headers (slow-loris bound). */
export const API_HEADERS_TIMEOUT_MS = 10_000
/** On shutdown, how long open API connections (event streams, stuck clients) get before they are cut. */
export const API_CLOSE_GRACE_MS = 1000
/** After answering POST /v1/leave, the pause before the agent stops, so the answer reaches the client. */
export const LEAVE_ANSWER_DELAY_MS = 50
/** Slack on top of the engine's leaveTimeoutMs before the agent stops waiting for its goodbye. */
export const LEAVE_SLACK_MS = 2000
/** One join attempt (every seed dialled, the first push-pull answered), from `--join` or the API. */
export const JOIN_ATTEMPT_TIMEOUT_MS = 30_000
/** The join retry backoff doubles from --retry-interval up to this. */
export const JOIN_RETRY_MAX_DELAY_MS = 30_000
/** Member changes within this window are written to the --snapshot file once. */
export const SNAPSHOT_DEBOUNCE_MS = 1000
/** `murmur demo`: how long the local cluster gets to converge (and a restarted agent to rejoin). */
export const DEMO_CONVERGE_TIMEOUT_MS = 30_000
/** `murmur demo`: how long the survivors get to declare the killed agent dead. */
export const DEMO_DETECT_TIMEOUT_MS = 60_000
