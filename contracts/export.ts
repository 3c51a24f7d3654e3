import { z } from 'zod'
import { CONTRACT_VERSION, Kind, MAX_BATCH, deviceMessages } from './device/index.ts'
import { NET_TOLERANCE_KG } from './device/weighing.ts'
import { FactsMessage } from './facts.ts'
import { registryJsonSchema } from './registry.ts'
import { RejectionNotice } from './rejection.ts'
import {
  AuthMessage,
  ChannelName,
  ClientMessage,
  DeltaMessage,
  ErrorMessage,
  HeartbeatMessage,
  PingMessage,
  PongMessage,
  ResumedMessage,
  ServerMessageV1,
  SnapshotMessage,
  SubscribeMessage,
  UnsubscribeMessage,
  WS_PATH,
  WS_PROTOCOL,
  WelcomeMessage,
  WsCloseCode,
  WsErrorCode,
  channelData,
  channelParams
} from './ws.ts'

// JSON Schema and AsyncAPI are generated from the zod schemas (docs/conventions.md, rule 1), never
// written by hand. Pure: returns file name → document.

type Json = Record<string, unknown>

const jsonSchema = (schema: z.ZodType, title: string, description?: string): Json => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title,
  ...(description ? { description } : {}),
  ...(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json)
})

const kindNotes: Record<Kind, string> = {
  weighing: `A weighbridge ticket. netKg must equal grossKg − tareKg within ±${NET_TOLERANCE_KG} kg; tareKg ≤ grossKg; material is required for stream "recyclable" and forbidden otherwise.`,
  fill: 'A smart bin fill-level reading; fillPct 0–150 (over 100 means overfilled).',
  position: 'A GPS fix of a collection vehicle, WGS-84.',
  status: 'A device heartbeat (any device type).'
}

/** Schema of a whole payload of one kind: one object or an array of 1..500. */
const payloadOf = (kind: Kind): z.ZodType =>
  z.union([deviceMessages[kind], z.array(deviceMessages[kind]).min(1).max(MAX_BATCH)])

export function contractDocuments(): Record<string, Json> {
  const docs: Record<string, Json> = {}
  for (const kind of Kind.options) {
    docs[`${kind}.schema.json`] = jsonSchema(
      deviceMessages[kind],
      `Qingyun ${CONTRACT_VERSION} ${kind} object`,
      kindNotes[kind]
    )
    docs[`${kind}.payload.schema.json`] = jsonSchema(
      payloadOf(kind),
      `Qingyun ${CONTRACT_VERSION} ${kind} payload`,
      `One ${kind} object or an array of 1–${MAX_BATCH}. ${kindNotes[kind]}`
    )
  }
  docs['rejection-notice.schema.json'] = jsonSchema(
    RejectionNotice,
    'Qingyun rejection notice',
    'Published to v1/devices/{deviceId}/errors when a message or an object of a batch is rejected.'
  )
  docs['facts.schema.json'] = jsonSchema(
    FactsMessage,
    'Qingyun committed facts',
    'Internal: $qingyun/v1/facts/{deviceId}, service accounts only.'
  )
  docs['ws-v1-client-message.schema.json'] = jsonSchema(
    ClientMessage,
    `Qingyun operations websocket ${WS_PROTOCOL}: client to server`
  )
  docs['ws-v1-server-message.schema.json'] = jsonSchema(
    ServerMessageV1,
    `Qingyun operations websocket ${WS_PROTOCOL}: server to client`
  )
  docs['registry.schema.json'] = registryJsonSchema()
  docs['asyncapi.json'] = asyncApi()
  return docs
}

function asyncApi(): Json {
  const deviceIdParam = { description: 'The device id; it must equal the MQTT username the device connected with.' }
  const channels: Json = {}
  const operations: Json = {}
  const messages: Json = {}
  for (const kind of Kind.options) {
    messages[kind] = {
      name: kind,
      title: `${kind} (${CONTRACT_VERSION})`,
      summary: kindNotes[kind],
      contentType: 'application/json',
      payload: z.toJSONSchema(payloadOf(kind), { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' })
    }
    channels[kind] = {
      address: `v1/devices/{deviceId}/${kind}`,
      parameters: { deviceId: deviceIdParam },
      messages: { [kind]: { $ref: `#/components/messages/${kind}` } }
    }
    operations[`receive_${kind}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${kind}` },
      summary: `Devices publish ${kind} at QoS 1. PUBACK is sent only once the message (or the record of its rejection) is durable on the node's disk; it reaches InfluxDB right after.`,
      bindings: { mqtt: { qos: 1, retain: false, bindingVersion: '0.2.0' } }
    }
  }
  messages.rejection = {
    name: 'rejection',
    contentType: 'application/json',
    summary: 'Why a message, or one object of a batch, was not stored as data. It was still acknowledged.',
    payload: z.toJSONSchema(RejectionNotice, { target: 'draft-2020-12', io: 'output' })
  }
  channels.errors = {
    address: 'v1/devices/{deviceId}/errors',
    parameters: { deviceId: deviceIdParam },
    messages: { rejection: { $ref: '#/components/messages/rejection' } }
  }
  operations.send_rejection = {
    action: 'send',
    channel: { $ref: '#/channels/errors' },
    summary: 'Rejection notices to the device that sent the message (subscribe at QoS 1).',
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: '0.2.0' } }
  }
  messages.facts = {
    name: 'facts',
    contentType: 'application/json',
    summary: 'Committed, normalised and enriched facts (internal; service accounts only).',
    payload: z.toJSONSchema(FactsMessage, { target: 'draft-2020-12', io: 'output' })
  }
  channels.facts = {
    address: '$qingyun/v1/facts/{deviceId}',
    parameters: { deviceId: deviceIdParam },
    messages: { facts: { $ref: '#/components/messages/facts' } }
  }
  operations.send_facts = {
    action: 'send',
    channel: { $ref: '#/channels/facts' },
    bindings: { mqtt: { qos: 1, bindingVersion: '0.2.0' } }
  }
  const ops = operationsWebsocket()
  Object.assign(channels, ops.channels)
  Object.assign(operations, ops.operations)
  Object.assign(messages, ops.messages)

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Qingyun (清运) device and service contract',
      version: `${CONTRACT_VERSION}.0.0`,
      description:
        `Devices publish UTF-8 JSON on v1/devices/{deviceId}/{kind}: one object or an array of up to ${MAX_BATCH}. ` +
        'Every object has ts (ISO-8601 with offset, or epoch milliseconds: the event time) and an optional seq ' +
        '(non-negative integer, increasing per device; gaps count as missing data). Unknown fields are rejected. ' +
        'A change that breaks devices is a new version (v2).'
    },
    defaultContentType: 'application/json',
    servers: {
      mqtt: {
        host: 'localhost:1883',
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        security: [{ $ref: '#/components/securitySchemes/token' }]
      },
      mqtts: {
        host: 'localhost:8883',
        protocol: 'secure-mqtt',
        protocolVersion: '3.1.1',
        description: 'When QINGYUN_MQTT_TLS_CERT/KEY are set, the MQTT port serves TLS.',
        security: [{ $ref: '#/components/securitySchemes/token' }]
      },
      ws: {
        host: 'localhost:8083',
        protocol: 'ws',
        description: 'MQTT over WebSocket (subprotocol mqtt).',
        security: [{ $ref: '#/components/securitySchemes/token' }]
      },
      dashboard: {
        host: 'localhost:8080',
        protocol: 'ws',
        description: 'dashboard-api websocket.',
        security: [{ $ref: '#/components/securitySchemes/operatorBearer' }]
      }
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        token: {
          type: 'userPassword',
          description:
            'MQTT username = device (or service account) id; password = its 256-bit token, issued once by `qingyun devices add`.'
        },
        operatorBearer: {
          type: 'httpApiKey',
          name: 'Authorization',
          in: 'header',
          description: `Operator bearer token (\`qingyun users add NAME --role ROLE\`), as "Authorization: Bearer <token>" on the upgrade, or — browsers cannot set headers — in a first message {"type":"auth","token"} within 5 s. Otherwise the server closes with ${WsCloseCode.unauthorized}.`
        }
      }
    }
  }
}

// ── Operations websocket v1: channels and messages from contracts/ws.ts ──

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json

const channelNotes: Record<ChannelName, string> = {
  city: "Today's city summary. Snapshot and delta data are the whole summary.",
  sites: "Every site's balance today. Snapshot: items; delta: changed sites' full balances, removed siteIds.",
  site: "One site's balance and hourly series (params.siteId). Snapshot and delta data are the whole {balance, hourly}.",
  bins: 'Bins, optionally filtered by status, district, stream. Delta: changed bins in the set, and binIds that left it.',
  vehicles:
    'Vehicles, optionally filtered by state, district, type. Delta: changed vehicles in the set, and vehicleIds that left it.',
  alerts:
    "Open alerts and today's, optionally filtered by state, severity. Delta: changed alerts in the set, and ids that left it.",
  exceptions:
    "Today's ranked exceptions (sites that will not clear, at risk, over capacity), as GET /api/v1/exceptions. Snapshot and delta data are the whole list."
}

const PROTOCOL_DESCRIPTION = [
  `Protocol ${WS_PROTOCOL} at GET ${WS_PATH}: JSON text frames, one message each.`,
  `Auth: "Authorization: Bearer <token>" on the upgrade, or a first message {"type":"auth","token"} within 5 s; else close ${WsCloseCode.unauthorized}. The server answers with welcome.`,
  'Subscribe: {type:"subscribe", id, channel, params?, resume?: {seq}}. A stream is channel + params; all its subscribers share its seq.',
  'The server sends a snapshot (data = the whole view, seq = the seq it includes), then deltas with consecutive seqs, at most one per stream per flushMs (250 ms by default).',
  'A delta carries the full current value of every item that changed (upserts) and the keys of items that left a filtered set (removed), so applying a delta twice is harmless.',
  'Resume: after a reconnect, subscribe with resume.seq = the last seq applied. If the server still holds the following deltas it sends resumed {fromSeq, seq} and replays them; otherwise a fresh snapshot. Either way the client ends in the current state with nothing lost or counted twice.',
  `Heartbeats: {type:"heartbeat", ts} every heartbeatMs (welcome says); a client that sends nothing for 3 × heartbeatMs is closed (${WsCloseCode.idle}); send ping to stay alive.`,
  `Slow clients: each connection has a bounded send queue; a client that falls behind is closed with ${WsCloseCode.tooSlow} "too slow" and should reconnect and resume.`,
  `A bad message gets error {code: "WS_E_BAD_MESSAGE", message naming the field}; error codes: ${WsErrorCode.options.join(', ')}.`
].join('\n\n')

function operationsWebsocket(): { channels: Json; operations: Json; messages: Json } {
  const messages: Json = {}
  const refs = (names: string[]): Json =>
    Object.fromEntries(names.map((n) => [n, { $ref: `#/components/messages/${n}` }]))
  const clientMsg = (name: string, schema: z.ZodType, summary: string): string => {
    messages[name] = { name, title: name, summary, contentType: 'application/json', payload: toSchema(schema, 'input') }
    return name
  }
  const serverMsg = (name: string, schema: z.ZodType, summary: string): string => {
    messages[name] = {
      name,
      title: name,
      summary,
      contentType: 'application/json',
      payload: toSchema(schema, 'output')
    }
    return name
  }
  const client = [
    clientMsg(
      'wsAuth',
      AuthMessage,
      'Authenticate (when the upgrade had no Authorization header). Must be the first message, within 5 s.'
    ),
    ...SubscribeMessage.options.map((o) => {
      const channel = o.shape.channel.value
      return clientMsg(
        `wsSubscribe_${channel}`,
        o,
        `Subscribe to ${channel}. Params: ${JSON.stringify(toSchema(channelParams[channel], 'input').properties ?? {})}. ${channelNotes[channel]}`
      )
    }),
    clientMsg('wsUnsubscribe', UnsubscribeMessage, 'End a subscription by its id.'),
    clientMsg('wsPing', PingMessage, 'Keep-alive; the server answers pong.')
  ]
  const server = [
    serverMsg(
      'wsWelcome',
      WelcomeMessage,
      'Authenticated: who, which role, the heartbeat interval and the delta interval.'
    ),
    ...ChannelName.options.flatMap((c) => [
      serverMsg(
        `wsSnapshot_${c}`,
        SnapshotMessage.options.find((o) => o.shape.channel.value === c)!,
        `The whole ${c} view at seq. ${channelNotes[c]}`
      ),
      serverMsg(
        `wsDelta_${c}`,
        DeltaMessage.options.find((o) => o.shape.channel.value === c)!,
        `Changes to ${c} since seq − 1 (full-value upserts${'removed' in channelData[c].delta.shape ? ' and removed keys' : ''}).`
      )
    ]),
    serverMsg('wsResumed', ResumedMessage, 'A resume was accepted: the deltas fromSeq+1 … seq follow; no snapshot.'),
    serverMsg('wsHeartbeat', HeartbeatMessage, 'Server heartbeat, every heartbeatMs.'),
    serverMsg(
      'wsError',
      ErrorMessage,
      'A message was refused (the connection stays open). id names the subscription when there is one.'
    ),
    serverMsg('wsPong', PongMessage, 'Answer to ping.')
  ]
  return {
    channels: {
      operationsV1: {
        address: WS_PATH,
        title: `Operations websocket (${WS_PROTOCOL})`,
        description: PROTOCOL_DESCRIPTION,
        servers: [{ $ref: '#/servers/dashboard' }],
        messages: refs([...client, ...server]),
        bindings: {
          ws: {
            method: 'GET',
            headers: {
              type: 'object',
              properties: {
                Authorization: {
                  type: 'string',
                  pattern: '^Bearer \\S+$',
                  description: 'Optional; otherwise send an auth message first.'
                }
              }
            },
            bindingVersion: '0.1.0'
          }
        }
      }
    },
    operations: {
      receive_operationsV1: {
        action: 'receive',
        channel: { $ref: '#/channels/operationsV1' },
        summary: 'Messages the client sends.',
        messages: client.map((n) => ({ $ref: `#/channels/operationsV1/messages/${n}` }))
      },
      send_operationsV1: {
        action: 'send',
        channel: { $ref: '#/channels/operationsV1' },
        summary: 'Messages the server sends.',
        messages: server.map((n) => ({ $ref: `#/channels/operationsV1/messages/${n}` }))
      }
    },
    messages
  }
}
