import { z } from 'zod'
import { CONTRACT_VERSION, Kind, MAX_BATCH, deviceMessages } from './device/index.ts'
import { NET_TOLERANCE_KG } from './device/weighing.ts'
import { FactsMessage } from './facts.ts'
import { registryJsonSchema } from './registry.ts'
import { RejectionNotice } from './rejection.ts'
import { ServerMessage } from './ws.ts'

// JSON Schema and AsyncAPI are generated from the zod schemas (conventions #1), never
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
const payloadOf = (kind: Kind): z.ZodType => z.union([deviceMessages[kind], z.array(deviceMessages[kind]).min(1).max(MAX_BATCH)])

export function contractDocuments(): Record<string, Json> {
  const docs: Record<string, Json> = {}
  for (const kind of Kind.options) {
    docs[`${kind}.schema.json`] = jsonSchema(deviceMessages[kind], `Qingyun ${CONTRACT_VERSION} ${kind} object`, kindNotes[kind])
    docs[`${kind}.payload.schema.json`] = jsonSchema(payloadOf(kind), `Qingyun ${CONTRACT_VERSION} ${kind} payload`, `One ${kind} object or an array of 1–${MAX_BATCH}. ${kindNotes[kind]}`)
  }
  docs['rejection-notice.schema.json'] = jsonSchema(RejectionNotice, 'Qingyun rejection notice', 'Published to v1/devices/{deviceId}/errors when a message or an object of a batch is rejected.')
  docs['facts.schema.json'] = jsonSchema(FactsMessage, 'Qingyun committed facts', 'Internal: $qingyun/v1/facts/{deviceId}, service accounts only.')
  docs['ws-server-message.schema.json'] = jsonSchema(ServerMessage, 'Qingyun dashboard websocket message (server to client)')
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
      summary: `Devices publish ${kind} at QoS 1. PUBACK is sent only once the message is stored (or stored as a rejection).`,
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
  operations.send_facts = { action: 'send', channel: { $ref: '#/channels/facts' }, bindings: { mqtt: { qos: 1, bindingVersion: '0.2.0' } } }
  messages.wsServer = {
    name: 'wsServer',
    contentType: 'application/json',
    payload: z.toJSONSchema(ServerMessage, { target: 'draft-2020-12', io: 'output' })
  }
  channels.dashboardSites = { address: '/ws', servers: [{ $ref: '#/servers/dashboard' }], messages: { wsServer: { $ref: '#/components/messages/wsServer' } } }
  operations.send_dashboard = { action: 'send', channel: { $ref: '#/channels/dashboardSites' }, summary: 'A snapshot of today\'s per-site tonnes, then per-site updates.' }

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
      mqtt: { host: 'localhost:1883', protocol: 'mqtt', protocolVersion: '3.1.1', security: [{ $ref: '#/components/securitySchemes/token' }] },
      mqtts: { host: 'localhost:8883', protocol: 'secure-mqtt', protocolVersion: '3.1.1', description: 'When QINGYUN_MQTT_TLS_CERT/KEY are set, the MQTT port serves TLS.', security: [{ $ref: '#/components/securitySchemes/token' }] },
      ws: { host: 'localhost:8083', protocol: 'ws', description: 'MQTT over WebSocket (subprotocol mqtt).', security: [{ $ref: '#/components/securitySchemes/token' }] },
      dashboard: { host: 'localhost:8080', protocol: 'ws', description: 'dashboard-api websocket.' }
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        token: { type: 'userPassword', description: 'MQTT username = device (or service account) id; password = its 256-bit token, issued once by `qingyun devices add`.' }
      }
    }
  }
}
