import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Kind {
  ALIVE = 'ALIVE',
  SUSPECT = 'SUSPECT',
  DEAD = 'DEAD',
  LEFT = 'LEFT'
}

enum __KindValues {
  ALIVE = 0,
  SUSPECT = 1,
  DEAD = 2,
  LEFT = 3
}

export namespace Kind {
  export const codec = (): Codec<Kind> => {
    return enumeration<Kind>(__KindValues)
  }
}

export interface Update {
  kind: Kind
  id: string
  incarnation: number
  from: string
  addrs: string[]
  metadata: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
  reportDigest?: Uint8Array<ArrayBuffer>
  reportSize?: number
}

export namespace Update {
  let _codec: Codec<Update>

  export const codec = (): Codec<Update> => {
    if (_codec == null) {
      _codec = message<Update>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          Kind.codec().encode(obj.kind, w)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(18)
          w.string(obj.id)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(24)
          w.uint32(obj.incarnation)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(34)
          w.string(obj.from)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.metadata != null && obj.metadata.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.metadata)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.signature)
        }

        if (obj.reportDigest != null) {
          w.uint32(66)
          w.bytes(obj.reportDigest)
        }

        if (obj.reportSize != null) {
          w.uint32(72)
          w.uint32(obj.reportSize)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.ALIVE,
          id: '',
          incarnation: 0,
          from: '',
          addrs: [],
          metadata: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.id = reader.string()
              break
            }
            case 3: {
              obj.incarnation = reader.uint32()
              break
            }
            case 4: {
              obj.from = reader.string()
              break
            }
            case 5: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 6: {
              obj.metadata = reader.bytes()
              break
            }
            case 7: {
              obj.signature = reader.bytes()
              break
            }
            case 8: {
              obj.reportDigest = reader.bytes()
              break
            }
            case 9: {
              obj.reportSize = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 5: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.metadata`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.reportDigest`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.reportSize`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface UpdateKindFieldEvent {
    field: '$.kind'
    value: Kind
  }

  export interface UpdateIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface UpdateIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export interface UpdateFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface UpdateAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface UpdateMetadataFieldEvent {
    field: '$.metadata'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UpdateSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UpdateReportDigestFieldEvent {
    field: '$.reportDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UpdateReportSizeFieldEvent {
    field: '$.reportSize'
    value: number
  }

  export function encode (obj: Partial<Update>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Update.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Update {
    return decodeMessage(buf, Update.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Generator<UpdateKindFieldEvent | UpdateIdFieldEvent | UpdateIncarnationFieldEvent | UpdateFromFieldEvent | UpdateAddrsFieldEvent | UpdateMetadataFieldEvent | UpdateSignatureFieldEvent | UpdateReportDigestFieldEvent | UpdateReportSizeFieldEvent> {
    return streamMessage(buf, Update.codec(), opts)
  }
}

export interface UserEvent {
  origin: string
  ltime: number
  name: string
  payload: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace UserEvent {
  let _codec: Codec<UserEvent>

  export const codec = (): Codec<UserEvent> => {
    if (_codec == null) {
      _codec = message<UserEvent>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.origin != null && obj.origin !== '')) {
          w.uint32(10)
          w.string(obj.origin)
        }

        if ((obj.ltime != null && obj.ltime !== 0)) {
          w.uint32(16)
          w.uint32(obj.ltime)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.payload)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          origin: '',
          ltime: 0,
          name: '',
          payload: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.origin = reader.string()
              break
            }
            case 2: {
              obj.ltime = reader.uint32()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.payload = reader.bytes()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.origin`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.ltime`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface UserEventOriginFieldEvent {
    field: '$.origin'
    value: string
  }

  export interface UserEventLtimeFieldEvent {
    field: '$.ltime'
    value: number
  }

  export interface UserEventNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface UserEventPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UserEventSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<UserEvent>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, UserEvent.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<UserEvent>): UserEvent {
    return decodeMessage(buf, UserEvent.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<UserEvent>): Generator<UserEventOriginFieldEvent | UserEventLtimeFieldEvent | UserEventNameFieldEvent | UserEventPayloadFieldEvent | UserEventSignatureFieldEvent> {
    return streamMessage(buf, UserEvent.codec(), opts)
  }
}

export interface Query {
  origin: string
  incarnation: number
  seq: number
  name: string
  payload: Uint8Array<ArrayBuffer>
  filterIds: string[]
  filterTags: string[]
  timeoutMs: number
  wantAck: boolean
  relayFactor: number
  signature: Uint8Array<ArrayBuffer>
}

export namespace Query {
  let _codec: Codec<Query>

  export const codec = (): Codec<Query> => {
    if (_codec == null) {
      _codec = message<Query>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.origin != null && obj.origin !== '')) {
          w.uint32(10)
          w.string(obj.origin)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(16)
          w.uint32(obj.incarnation)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(24)
          w.uint32(obj.seq)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(34)
          w.string(obj.name)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.payload)
        }

        if (obj.filterIds != null && obj.filterIds.length > 0) {
          for (const value of obj.filterIds) {
            w.uint32(50)
            w.string(value)
          }
        }

        if (obj.filterTags != null && obj.filterTags.length > 0) {
          for (const value of obj.filterTags) {
            w.uint32(58)
            w.string(value)
          }
        }

        if ((obj.timeoutMs != null && obj.timeoutMs !== 0)) {
          w.uint32(64)
          w.uint32(obj.timeoutMs)
        }

        if ((obj.wantAck != null && obj.wantAck !== false)) {
          w.uint32(72)
          w.bool(obj.wantAck)
        }

        if ((obj.relayFactor != null && obj.relayFactor !== 0)) {
          w.uint32(80)
          w.uint32(obj.relayFactor)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(90)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          origin: '',
          incarnation: 0,
          seq: 0,
          name: '',
          payload: uint8ArrayAlloc(0),
          filterIds: [],
          filterTags: [],
          timeoutMs: 0,
          wantAck: false,
          relayFactor: 0,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.origin = reader.string()
              break
            }
            case 2: {
              obj.incarnation = reader.uint32()
              break
            }
            case 3: {
              obj.seq = reader.uint32()
              break
            }
            case 4: {
              obj.name = reader.string()
              break
            }
            case 5: {
              obj.payload = reader.bytes()
              break
            }
            case 6: {
              if (opts.limits?.filterIds != null && obj.filterIds.length === opts.limits.filterIds) {
                throw new MaxLengthError('Decode error - repeated field "filterIds" had too many elements')
              }

              obj.filterIds.push(reader.string())
              break
            }
            case 7: {
              if (opts.limits?.filterTags != null && obj.filterTags.length === opts.limits.filterTags) {
                throw new MaxLengthError('Decode error - repeated field "filterTags" had too many elements')
              }

              obj.filterTags.push(reader.string())
              break
            }
            case 8: {
              obj.timeoutMs = reader.uint32()
              break
            }
            case 9: {
              obj.wantAck = reader.bool()
              break
            }
            case 10: {
              obj.relayFactor = reader.uint32()
              break
            }
            case 11: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          filterIds: 0,
          filterTags: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.origin`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              if (opts.limits?.filterIds != null && obj.filterIds === opts.limits.filterIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "filterIds" had too many elements')
              }

              yield {
                field: `${prefix}.filterIds[]`,
                index: obj.filterIds,
                value: reader.string()
              }

              obj.filterIds++

              break
            }
            case 7: {
              if (opts.limits?.filterTags != null && obj.filterTags === opts.limits.filterTags) {
                throw new MaxLengthError('Streaming decode error - repeated field "filterTags" had too many elements')
              }

              yield {
                field: `${prefix}.filterTags[]`,
                index: obj.filterTags,
                value: reader.string()
              }

              obj.filterTags++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.timeoutMs`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.wantAck`,
                value: reader.bool()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.relayFactor`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface QueryOriginFieldEvent {
    field: '$.origin'
    value: string
  }

  export interface QueryIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export interface QuerySeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface QueryNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface QueryPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface QueryFilterIdsFieldEvent {
    field: '$.filterIds[]'
    index: number
    value: string
  }

  export interface QueryFilterTagsFieldEvent {
    field: '$.filterTags[]'
    index: number
    value: string
  }

  export interface QueryTimeoutMsFieldEvent {
    field: '$.timeoutMs'
    value: number
  }

  export interface QueryWantAckFieldEvent {
    field: '$.wantAck'
    value: boolean
  }

  export interface QueryRelayFactorFieldEvent {
    field: '$.relayFactor'
    value: number
  }

  export interface QuerySignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Query>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Query.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Query>): Query {
    return decodeMessage(buf, Query.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Query>): Generator<QueryOriginFieldEvent | QueryIncarnationFieldEvent | QuerySeqFieldEvent | QueryNameFieldEvent | QueryPayloadFieldEvent | QueryFilterIdsFieldEvent | QueryFilterTagsFieldEvent | QueryTimeoutMsFieldEvent | QueryWantAckFieldEvent | QueryRelayFactorFieldEvent | QuerySignatureFieldEvent> {
    return streamMessage(buf, Query.codec(), opts)
  }
}

export interface QueryResponse {
  origin: string
  incarnation: number
  seq: number
  from: string
  ack: boolean
  payload: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace QueryResponse {
  let _codec: Codec<QueryResponse>

  export const codec = (): Codec<QueryResponse> => {
    if (_codec == null) {
      _codec = message<QueryResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.origin != null && obj.origin !== '')) {
          w.uint32(10)
          w.string(obj.origin)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(16)
          w.uint32(obj.incarnation)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(24)
          w.uint32(obj.seq)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(34)
          w.string(obj.from)
        }

        if ((obj.ack != null && obj.ack !== false)) {
          w.uint32(40)
          w.bool(obj.ack)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.payload)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          origin: '',
          incarnation: 0,
          seq: 0,
          from: '',
          ack: false,
          payload: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.origin = reader.string()
              break
            }
            case 2: {
              obj.incarnation = reader.uint32()
              break
            }
            case 3: {
              obj.seq = reader.uint32()
              break
            }
            case 4: {
              obj.from = reader.string()
              break
            }
            case 5: {
              obj.ack = reader.bool()
              break
            }
            case 6: {
              obj.payload = reader.bytes()
              break
            }
            case 7: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.origin`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ack`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface QueryResponseOriginFieldEvent {
    field: '$.origin'
    value: string
  }

  export interface QueryResponseIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export interface QueryResponseSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface QueryResponseFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface QueryResponseAckFieldEvent {
    field: '$.ack'
    value: boolean
  }

  export interface QueryResponsePayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface QueryResponseSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<QueryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, QueryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResponse>): QueryResponse {
    return decodeMessage(buf, QueryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResponse>): Generator<QueryResponseOriginFieldEvent | QueryResponseIncarnationFieldEvent | QueryResponseSeqFieldEvent | QueryResponseFromFieldEvent | QueryResponseAckFieldEvent | QueryResponsePayloadFieldEvent | QueryResponseSignatureFieldEvent> {
    return streamMessage(buf, QueryResponse.codec(), opts)
  }
}

export interface Ping {
  seq: number
  target: string
  wantCoordinate: boolean
}

export namespace Ping {
  let _codec: Codec<Ping>

  export const codec = (): Codec<Ping> => {
    if (_codec == null) {
      _codec = message<Ping>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(18)
          w.string(obj.target)
        }

        if ((obj.wantCoordinate != null && obj.wantCoordinate !== false)) {
          w.uint32(24)
          w.bool(obj.wantCoordinate)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          target: '',
          wantCoordinate: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            case 2: {
              obj.target = reader.string()
              break
            }
            case 3: {
              obj.wantCoordinate = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.wantCoordinate`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PingSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface PingTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface PingWantCoordinateFieldEvent {
    field: '$.wantCoordinate'
    value: boolean
  }

  export function encode (obj: Partial<Ping>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ping.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ping>): Ping {
    return decodeMessage(buf, Ping.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ping>): Generator<PingSeqFieldEvent | PingTargetFieldEvent | PingWantCoordinateFieldEvent> {
    return streamMessage(buf, Ping.codec(), opts)
  }
}

export interface Ack {
  seq: number
  payload: Uint8Array<ArrayBuffer>
  coordinate?: Coordinate
}

export namespace Ack {
  let _codec: Codec<Ack>

  export const codec = (): Codec<Ack> => {
    if (_codec == null) {
      _codec = message<Ack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.payload)
        }

        if (obj.coordinate != null) {
          w.uint32(26)
          Coordinate.codec().encode(obj.coordinate, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          payload: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            case 2: {
              obj.payload = reader.bytes()
              break
            }
            case 3: {
              obj.coordinate = Coordinate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.coordinate
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield * Coordinate.codec().stream(reader, reader.uint32(), `${prefix}.coordinate`, {
                limits: opts.limits?.coordinate
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AckSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface AckPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AckCoordinateVecFieldEvent {
    field: '$.coordinate.vec[]'
    index: number
    value: number
  }

  export interface AckCoordinateErrorFieldEvent {
    field: '$.coordinate.error'
    value: number
  }

  export interface AckCoordinateAdjustmentFieldEvent {
    field: '$.coordinate.adjustment'
    value: number
  }

  export interface AckCoordinateHeightFieldEvent {
    field: '$.coordinate.height'
    value: number
  }

  export function encode (obj: Partial<Ack>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Ack {
    return decodeMessage(buf, Ack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Generator<AckSeqFieldEvent | AckPayloadFieldEvent | AckCoordinateVecFieldEvent | AckCoordinateErrorFieldEvent | AckCoordinateAdjustmentFieldEvent | AckCoordinateHeightFieldEvent> {
    return streamMessage(buf, Ack.codec(), opts)
  }
}

export interface Coordinate {
  vec: number[]
  error: number
  adjustment: number
  height: number
}

export namespace Coordinate {
  let _codec: Codec<Coordinate>

  export const codec = (): Codec<Coordinate> => {
    if (_codec == null) {
      _codec = message<Coordinate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.vec != null && obj.vec.length > 0) {
          for (const value of obj.vec) {
            w.uint32(13)
            w.float(value)
          }
        }

        if ((obj.error != null && obj.error !== 0)) {
          w.uint32(21)
          w.float(obj.error)
        }

        if ((obj.adjustment != null && obj.adjustment !== 0)) {
          w.uint32(29)
          w.float(obj.adjustment)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(37)
          w.float(obj.height)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          vec: [],
          error: 0,
          adjustment: 0,
          height: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.vec != null && obj.vec.length === opts.limits.vec) {
                throw new MaxLengthError('Decode error - repeated field "vec" had too many elements')
              }

              obj.vec.push(reader.float())
              break
            }
            case 2: {
              obj.error = reader.float()
              break
            }
            case 3: {
              obj.adjustment = reader.float()
              break
            }
            case 4: {
              obj.height = reader.float()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          vec: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.vec != null && obj.vec === opts.limits.vec) {
                throw new MaxLengthError('Streaming decode error - repeated field "vec" had too many elements')
              }

              yield {
                field: `${prefix}.vec[]`,
                index: obj.vec,
                value: reader.float()
              }

              obj.vec++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
                value: reader.float()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.adjustment`,
                value: reader.float()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.height`,
                value: reader.float()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CoordinateVecFieldEvent {
    field: '$.vec[]'
    index: number
    value: number
  }

  export interface CoordinateErrorFieldEvent {
    field: '$.error'
    value: number
  }

  export interface CoordinateAdjustmentFieldEvent {
    field: '$.adjustment'
    value: number
  }

  export interface CoordinateHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export function encode (obj: Partial<Coordinate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Coordinate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Coordinate>): Coordinate {
    return decodeMessage(buf, Coordinate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Coordinate>): Generator<CoordinateVecFieldEvent | CoordinateErrorFieldEvent | CoordinateAdjustmentFieldEvent | CoordinateHeightFieldEvent> {
    return streamMessage(buf, Coordinate.codec(), opts)
  }
}

export interface Nack {
  seq: number
}

export namespace Nack {
  let _codec: Codec<Nack>

  export const codec = (): Codec<Nack> => {
    if (_codec == null) {
      _codec = message<Nack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface NackSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export function encode (obj: Partial<Nack>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Nack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Nack>): Nack {
    return decodeMessage(buf, Nack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Nack>): Generator<NackSeqFieldEvent> {
    return streamMessage(buf, Nack.codec(), opts)
  }
}

export interface PingReq {
  seq: number
  target: string
  targetAddrs: string[]
}

export namespace PingReq {
  let _codec: Codec<PingReq>

  export const codec = (): Codec<PingReq> => {
    if (_codec == null) {
      _codec = message<PingReq>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(18)
          w.string(obj.target)
        }

        if (obj.targetAddrs != null && obj.targetAddrs.length > 0) {
          for (const value of obj.targetAddrs) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          target: '',
          targetAddrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            case 2: {
              obj.target = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.targetAddrs != null && obj.targetAddrs.length === opts.limits.targetAddrs) {
                throw new MaxLengthError('Decode error - repeated field "targetAddrs" had too many elements')
              }

              obj.targetAddrs.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          targetAddrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.targetAddrs != null && obj.targetAddrs === opts.limits.targetAddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "targetAddrs" had too many elements')
              }

              yield {
                field: `${prefix}.targetAddrs[]`,
                index: obj.targetAddrs,
                value: reader.string()
              }

              obj.targetAddrs++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PingReqSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface PingReqTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface PingReqTargetAddrsFieldEvent {
    field: '$.targetAddrs[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<PingReq>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PingReq.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PingReq>): PingReq {
    return decodeMessage(buf, PingReq.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PingReq>): Generator<PingReqSeqFieldEvent | PingReqTargetFieldEvent | PingReqTargetAddrsFieldEvent> {
    return streamMessage(buf, PingReq.codec(), opts)
  }
}

export interface Packet {
  version: number
  ping?: Ping
  ack?: Ack
  nack?: Nack
  pingReq?: PingReq
  updates: Update[]
  events: UserEvent[]
  queries: Query[]
  responses: QueryResponse[]
}

export namespace Packet {
  let _codec: Codec<Packet>

  export const codec = (): Codec<Packet> => {
    if (_codec == null) {
      _codec = message<Packet>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.ping != null) {
          w.uint32(18)
          Ping.codec().encode(obj.ping, w)
        }

        if (obj.ack != null) {
          w.uint32(26)
          Ack.codec().encode(obj.ack, w)
        }

        if (obj.nack != null) {
          w.uint32(34)
          Nack.codec().encode(obj.nack, w)
        }

        if (obj.pingReq != null) {
          w.uint32(42)
          PingReq.codec().encode(obj.pingReq, w)
        }

        if (obj.updates != null && obj.updates.length > 0) {
          for (const value of obj.updates) {
            w.uint32(50)
            Update.codec().encode(value, w)
          }
        }

        if (obj.events != null && obj.events.length > 0) {
          for (const value of obj.events) {
            w.uint32(58)
            UserEvent.codec().encode(value, w)
          }
        }

        if (obj.queries != null && obj.queries.length > 0) {
          for (const value of obj.queries) {
            w.uint32(66)
            Query.codec().encode(value, w)
          }
        }

        if (obj.responses != null && obj.responses.length > 0) {
          for (const value of obj.responses) {
            w.uint32(74)
            QueryResponse.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          updates: [],
          events: [],
          queries: [],
          responses: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.ping = Ping.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ping
              })
              break
            }
            case 3: {
              obj.ack = Ack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ack
              })
              break
            }
            case 4: {
              obj.nack = Nack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.nack
              })
              break
            }
            case 5: {
              obj.pingReq = PingReq.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.pingReq
              })
              break
            }
            case 6: {
              if (opts.limits?.updates != null && obj.updates.length === opts.limits.updates) {
                throw new MaxLengthError('Decode error - repeated field "updates" had too many elements')
              }

              obj.updates.push(Update.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.updates$
              }))
              break
            }
            case 7: {
              if (opts.limits?.events != null && obj.events.length === opts.limits.events) {
                throw new MaxLengthError('Decode error - repeated field "events" had too many elements')
              }

              obj.events.push(UserEvent.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.events$
              }))
              break
            }
            case 8: {
              if (opts.limits?.queries != null && obj.queries.length === opts.limits.queries) {
                throw new MaxLengthError('Decode error - repeated field "queries" had too many elements')
              }

              obj.queries.push(Query.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.queries$
              }))
              break
            }
            case 9: {
              if (opts.limits?.responses != null && obj.responses.length === opts.limits.responses) {
                throw new MaxLengthError('Decode error - repeated field "responses" had too many elements')
              }

              obj.responses.push(QueryResponse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.responses$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          updates: 0,
          events: 0,
          queries: 0,
          responses: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield * Ping.codec().stream(reader, reader.uint32(), `${prefix}.ping`, {
                limits: opts.limits?.ping
              })

              break
            }
            case 3: {
              yield * Ack.codec().stream(reader, reader.uint32(), `${prefix}.ack`, {
                limits: opts.limits?.ack
              })

              break
            }
            case 4: {
              yield * Nack.codec().stream(reader, reader.uint32(), `${prefix}.nack`, {
                limits: opts.limits?.nack
              })

              break
            }
            case 5: {
              yield * PingReq.codec().stream(reader, reader.uint32(), `${prefix}.pingReq`, {
                limits: opts.limits?.pingReq
              })

              break
            }
            case 6: {
              if (opts.limits?.updates != null && obj.updates === opts.limits.updates) {
                throw new MaxLengthError('Streaming decode error - repeated field "updates" had too many elements')
              }

              for (const evt of Update.codec().stream(reader, reader.uint32(), `${prefix}.updates[]`, {
                limits: opts.limits?.updates$
              })) {
                yield {
                  ...evt,
                  index: obj.updates
                }
              }

              obj.updates++

              break
            }
            case 7: {
              if (opts.limits?.events != null && obj.events === opts.limits.events) {
                throw new MaxLengthError('Streaming decode error - repeated field "events" had too many elements')
              }

              for (const evt of UserEvent.codec().stream(reader, reader.uint32(), `${prefix}.events[]`, {
                limits: opts.limits?.events$
              })) {
                yield {
                  ...evt,
                  index: obj.events
                }
              }

              obj.events++

              break
            }
            case 8: {
              if (opts.limits?.queries != null && obj.queries === opts.limits.queries) {
                throw new MaxLengthError('Streaming decode error - repeated field "queries" had too many elements')
              }

              for (const evt of Query.codec().stream(reader, reader.uint32(), `${prefix}.queries[]`, {
                limits: opts.limits?.queries$
              })) {
                yield {
                  ...evt,
                  index: obj.queries
                }
              }

              obj.queries++

              break
            }
            case 9: {
              if (opts.limits?.responses != null && obj.responses === opts.limits.responses) {
                throw new MaxLengthError('Streaming decode error - repeated field "responses" had too many elements')
              }

              for (const evt of QueryResponse.codec().stream(reader, reader.uint32(), `${prefix}.responses[]`, {
                limits: opts.limits?.responses$
              })) {
                yield {
                  ...evt,
                  index: obj.responses
                }
              }

              obj.responses++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PacketVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface PacketPingSeqFieldEvent {
    field: '$.ping.seq'
    value: number
  }

  export interface PacketPingTargetFieldEvent {
    field: '$.ping.target'
    value: string
  }

  export interface PacketPingWantCoordinateFieldEvent {
    field: '$.ping.wantCoordinate'
    value: boolean
  }

  export interface PacketAckSeqFieldEvent {
    field: '$.ack.seq'
    value: number
  }

  export interface PacketAckPayloadFieldEvent {
    field: '$.ack.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PacketAckCoordinateVecFieldEvent {
    field: '$.ack.coordinate.vec[]'
    index: number
    value: number
  }

  export interface PacketAckCoordinateErrorFieldEvent {
    field: '$.ack.coordinate.error'
    value: number
  }

  export interface PacketAckCoordinateAdjustmentFieldEvent {
    field: '$.ack.coordinate.adjustment'
    value: number
  }

  export interface PacketAckCoordinateHeightFieldEvent {
    field: '$.ack.coordinate.height'
    value: number
  }

  export interface PacketNackSeqFieldEvent {
    field: '$.nack.seq'
    value: number
  }

  export interface PacketPingReqSeqFieldEvent {
    field: '$.pingReq.seq'
    value: number
  }

  export interface PacketPingReqTargetFieldEvent {
    field: '$.pingReq.target'
    value: string
  }

  export interface PacketPingReqTargetAddrsFieldEvent {
    field: '$.pingReq.targetAddrs[]'
    index: number
    value: string
  }

  export interface PacketUpdatesKindFieldEvent {
    field: '$.updates[].kind'
    value: Kind
    index: number
  }

  export interface PacketUpdatesIdFieldEvent {
    field: '$.updates[].id'
    value: string
    index: number
  }

  export interface PacketUpdatesIncarnationFieldEvent {
    field: '$.updates[].incarnation'
    value: number
    index: number
  }

  export interface PacketUpdatesFromFieldEvent {
    field: '$.updates[].from'
    value: string
    index: number
  }

  export interface PacketUpdatesAddrsFieldEvent {
    field: '$.updates[].addrs[]'
    index: number
    value: string
  }

  export interface PacketUpdatesMetadataFieldEvent {
    field: '$.updates[].metadata'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketUpdatesSignatureFieldEvent {
    field: '$.updates[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketUpdatesReportDigestFieldEvent {
    field: '$.updates[].reportDigest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketUpdatesReportSizeFieldEvent {
    field: '$.updates[].reportSize'
    value: number
    index: number
  }

  export interface PacketEventsOriginFieldEvent {
    field: '$.events[].origin'
    value: string
    index: number
  }

  export interface PacketEventsLtimeFieldEvent {
    field: '$.events[].ltime'
    value: number
    index: number
  }

  export interface PacketEventsNameFieldEvent {
    field: '$.events[].name'
    value: string
    index: number
  }

  export interface PacketEventsPayloadFieldEvent {
    field: '$.events[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketEventsSignatureFieldEvent {
    field: '$.events[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketQueriesOriginFieldEvent {
    field: '$.queries[].origin'
    value: string
    index: number
  }

  export interface PacketQueriesIncarnationFieldEvent {
    field: '$.queries[].incarnation'
    value: number
    index: number
  }

  export interface PacketQueriesSeqFieldEvent {
    field: '$.queries[].seq'
    value: number
    index: number
  }

  export interface PacketQueriesNameFieldEvent {
    field: '$.queries[].name'
    value: string
    index: number
  }

  export interface PacketQueriesPayloadFieldEvent {
    field: '$.queries[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketQueriesFilterIdsFieldEvent {
    field: '$.queries[].filterIds[]'
    index: number
    value: string
  }

  export interface PacketQueriesFilterTagsFieldEvent {
    field: '$.queries[].filterTags[]'
    index: number
    value: string
  }

  export interface PacketQueriesTimeoutMsFieldEvent {
    field: '$.queries[].timeoutMs'
    value: number
    index: number
  }

  export interface PacketQueriesWantAckFieldEvent {
    field: '$.queries[].wantAck'
    value: boolean
    index: number
  }

  export interface PacketQueriesRelayFactorFieldEvent {
    field: '$.queries[].relayFactor'
    value: number
    index: number
  }

  export interface PacketQueriesSignatureFieldEvent {
    field: '$.queries[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketResponsesOriginFieldEvent {
    field: '$.responses[].origin'
    value: string
    index: number
  }

  export interface PacketResponsesIncarnationFieldEvent {
    field: '$.responses[].incarnation'
    value: number
    index: number
  }

  export interface PacketResponsesSeqFieldEvent {
    field: '$.responses[].seq'
    value: number
    index: number
  }

  export interface PacketResponsesFromFieldEvent {
    field: '$.responses[].from'
    value: string
    index: number
  }

  export interface PacketResponsesAckFieldEvent {
    field: '$.responses[].ack'
    value: boolean
    index: number
  }

  export interface PacketResponsesPayloadFieldEvent {
    field: '$.responses[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PacketResponsesSignatureFieldEvent {
    field: '$.responses[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<Packet>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Packet.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Packet>): Packet {
    return decodeMessage(buf, Packet.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Packet>): Generator<PacketVersionFieldEvent | PacketPingSeqFieldEvent | PacketPingTargetFieldEvent | PacketPingWantCoordinateFieldEvent | PacketAckSeqFieldEvent | PacketAckPayloadFieldEvent | PacketAckCoordinateVecFieldEvent | PacketAckCoordinateErrorFieldEvent | PacketAckCoordinateAdjustmentFieldEvent | PacketAckCoordinateHeightFieldEvent | PacketNackSeqFieldEvent | PacketPingReqSeqFieldEvent | PacketPingReqTargetFieldEvent | PacketPingReqTargetAddrsFieldEvent | PacketUpdatesKindFieldEvent | PacketUpdatesIdFieldEvent | PacketUpdatesIncarnationFieldEvent | PacketUpdatesFromFieldEvent | PacketUpdatesAddrsFieldEvent | PacketUpdatesMetadataFieldEvent | PacketUpdatesSignatureFieldEvent | PacketUpdatesReportDigestFieldEvent | PacketUpdatesReportSizeFieldEvent | PacketEventsOriginFieldEvent | PacketEventsLtimeFieldEvent | PacketEventsNameFieldEvent | PacketEventsPayloadFieldEvent | PacketEventsSignatureFieldEvent | PacketQueriesOriginFieldEvent | PacketQueriesIncarnationFieldEvent | PacketQueriesSeqFieldEvent | PacketQueriesNameFieldEvent | PacketQueriesPayloadFieldEvent | PacketQueriesFilterIdsFieldEvent | PacketQueriesFilterTagsFieldEvent | PacketQueriesTimeoutMsFieldEvent | PacketQueriesWantAckFieldEvent | PacketQueriesRelayFactorFieldEvent | PacketQueriesSignatureFieldEvent | PacketResponsesOriginFieldEvent | PacketResponsesIncarnationFieldEvent | PacketResponsesSeqFieldEvent | PacketResponsesFromFieldEvent | PacketResponsesAckFieldEvent | PacketResponsesPayloadFieldEvent | PacketResponsesSignatureFieldEvent> {
    return streamMessage(buf, Packet.codec(), opts)
  }
}

export interface ReportRequest {
  version: number
  id: string
  digest: Uint8Array<ArrayBuffer>
}

export namespace ReportRequest {
  let _codec: Codec<ReportRequest>

  export const codec = (): Codec<ReportRequest> => {
    if (_codec == null) {
      _codec = message<ReportRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(18)
          w.string(obj.id)
        }

        if ((obj.digest != null && obj.digest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.digest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          id: '',
          digest: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.id = reader.string()
              break
            }
            case 3: {
              obj.digest = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.digest`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReportRequestVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface ReportRequestIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface ReportRequestDigestFieldEvent {
    field: '$.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReportRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReportRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReportRequest>): ReportRequest {
    return decodeMessage(buf, ReportRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReportRequest>): Generator<ReportRequestVersionFieldEvent | ReportRequestIdFieldEvent | ReportRequestDigestFieldEvent> {
    return streamMessage(buf, ReportRequest.codec(), opts)
  }
}

export interface PushPull {
  version: number
  join: boolean
  updates: Update[]
  events: UserEvent[]
  eventLtime: number
  mode: number
  digestLo: number
  digestHi: number
}

export namespace PushPull {
  let _codec: Codec<PushPull>

  export const codec = (): Codec<PushPull> => {
    if (_codec == null) {
      _codec = message<PushPull>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.join != null && obj.join !== false)) {
          w.uint32(16)
          w.bool(obj.join)
        }

        if (obj.updates != null && obj.updates.length > 0) {
          for (const value of obj.updates) {
            w.uint32(26)
            Update.codec().encode(value, w)
          }
        }

        if (obj.events != null && obj.events.length > 0) {
          for (const value of obj.events) {
            w.uint32(34)
            UserEvent.codec().encode(value, w)
          }
        }

        if ((obj.eventLtime != null && obj.eventLtime !== 0)) {
          w.uint32(40)
          w.uint32(obj.eventLtime)
        }

        if ((obj.mode != null && obj.mode !== 0)) {
          w.uint32(48)
          w.uint32(obj.mode)
        }

        if ((obj.digestLo != null && obj.digestLo !== 0)) {
          w.uint32(56)
          w.uint32(obj.digestLo)
        }

        if ((obj.digestHi != null && obj.digestHi !== 0)) {
          w.uint32(64)
          w.uint32(obj.digestHi)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          join: false,
          updates: [],
          events: [],
          eventLtime: 0,
          mode: 0,
          digestLo: 0,
          digestHi: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.join = reader.bool()
              break
            }
            case 3: {
              if (opts.limits?.updates != null && obj.updates.length === opts.limits.updates) {
                throw new MaxLengthError('Decode error - repeated field "updates" had too many elements')
              }

              obj.updates.push(Update.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.updates$
              }))
              break
            }
            case 4: {
              if (opts.limits?.events != null && obj.events.length === opts.limits.events) {
                throw new MaxLengthError('Decode error - repeated field "events" had too many elements')
              }

              obj.events.push(UserEvent.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.events$
              }))
              break
            }
            case 5: {
              obj.eventLtime = reader.uint32()
              break
            }
            case 6: {
              obj.mode = reader.uint32()
              break
            }
            case 7: {
              obj.digestLo = reader.uint32()
              break
            }
            case 8: {
              obj.digestHi = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          updates: 0,
          events: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.join`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              if (opts.limits?.updates != null && obj.updates === opts.limits.updates) {
                throw new MaxLengthError('Streaming decode error - repeated field "updates" had too many elements')
              }

              for (const evt of Update.codec().stream(reader, reader.uint32(), `${prefix}.updates[]`, {
                limits: opts.limits?.updates$
              })) {
                yield {
                  ...evt,
                  index: obj.updates
                }
              }

              obj.updates++

              break
            }
            case 4: {
              if (opts.limits?.events != null && obj.events === opts.limits.events) {
                throw new MaxLengthError('Streaming decode error - repeated field "events" had too many elements')
              }

              for (const evt of UserEvent.codec().stream(reader, reader.uint32(), `${prefix}.events[]`, {
                limits: opts.limits?.events$
              })) {
                yield {
                  ...evt,
                  index: obj.events
                }
              }

              obj.events++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.eventLtime`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.mode`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.digestLo`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.digestHi`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PushPullVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface PushPullJoinFieldEvent {
    field: '$.join'
    value: boolean
  }

  export interface PushPullUpdatesKindFieldEvent {
    field: '$.updates[].kind'
    value: Kind
    index: number
  }

  export interface PushPullUpdatesIdFieldEvent {
    field: '$.updates[].id'
    value: string
    index: number
  }

  export interface PushPullUpdatesIncarnationFieldEvent {
    field: '$.updates[].incarnation'
    value: number
    index: number
  }

  export interface PushPullUpdatesFromFieldEvent {
    field: '$.updates[].from'
    value: string
    index: number
  }

  export interface PushPullUpdatesAddrsFieldEvent {
    field: '$.updates[].addrs[]'
    index: number
    value: string
  }

  export interface PushPullUpdatesMetadataFieldEvent {
    field: '$.updates[].metadata'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PushPullUpdatesSignatureFieldEvent {
    field: '$.updates[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PushPullUpdatesReportDigestFieldEvent {
    field: '$.updates[].reportDigest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PushPullUpdatesReportSizeFieldEvent {
    field: '$.updates[].reportSize'
    value: number
    index: number
  }

  export interface PushPullEventsOriginFieldEvent {
    field: '$.events[].origin'
    value: string
    index: number
  }

  export interface PushPullEventsLtimeFieldEvent {
    field: '$.events[].ltime'
    value: number
    index: number
  }

  export interface PushPullEventsNameFieldEvent {
    field: '$.events[].name'
    value: string
    index: number
  }

  export interface PushPullEventsPayloadFieldEvent {
    field: '$.events[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PushPullEventsSignatureFieldEvent {
    field: '$.events[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PushPullEventLtimeFieldEvent {
    field: '$.eventLtime'
    value: number
  }

  export interface PushPullModeFieldEvent {
    field: '$.mode'
    value: number
  }

  export interface PushPullDigestLoFieldEvent {
    field: '$.digestLo'
    value: number
  }

  export interface PushPullDigestHiFieldEvent {
    field: '$.digestHi'
    value: number
  }

  export function encode (obj: Partial<PushPull>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PushPull.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PushPull>): PushPull {
    return decodeMessage(buf, PushPull.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PushPull>): Generator<PushPullVersionFieldEvent | PushPullJoinFieldEvent | PushPullUpdatesKindFieldEvent | PushPullUpdatesIdFieldEvent | PushPullUpdatesIncarnationFieldEvent | PushPullUpdatesFromFieldEvent | PushPullUpdatesAddrsFieldEvent | PushPullUpdatesMetadataFieldEvent | PushPullUpdatesSignatureFieldEvent | PushPullUpdatesReportDigestFieldEvent | PushPullUpdatesReportSizeFieldEvent | PushPullEventsOriginFieldEvent | PushPullEventsLtimeFieldEvent | PushPullEventsNameFieldEvent | PushPullEventsPayloadFieldEvent | PushPullEventsSignatureFieldEvent | PushPullEventLtimeFieldEvent | PushPullModeFieldEvent | PushPullDigestLoFieldEvent | PushPullDigestHiFieldEvent> {
    return streamMessage(buf, PushPull.codec(), opts)
  }
}
