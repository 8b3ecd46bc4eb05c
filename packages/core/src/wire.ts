/**
 * @murmur/core/wire: the wire format, for tools and tests that speak it directly (a raw peer, a
 * fuzzer, a protocol test): encoders and decoders of packets and push-pull states, the bytes a
 * signature covers, the field table and the decode limits. Apps need none of it.
 * @packageDocumentation
 */
export type {
  Packet,
  PacketInput,
  PingInput,
  PushPull,
  Query,
  QueryResponse,
  Update,
  UserEvent,
} from './codec/index.ts'
export {
  decodePacket,
  decodePushPull,
  encodePacket,
  encodePushPull,
  eventSigningBytes,
  FIELDS,
  Kind,
  querySigningBytes,
  responseSigningBytes,
  updateSigningBytes,
} from './codec/index.ts'
export { DECODE_LIMITS, PROTOCOL_VERSION } from './constants.ts'
