import type { MqttClient } from 'mqtt'

/** The arguments of the client's next `event` (events.once does not accept mqtt.js's typed emitter). */
export function nextEvent<T extends unknown[] = unknown[]>(
  client: MqttClient,
  event: 'message' | 'close' | 'error' | 'connect' | 'offline'
): Promise<T> {
  return new Promise((resolve) => {
    ;(client as unknown as NodeJS.EventEmitter).once(event, (...args: unknown[]) => resolve(args as T))
  })
}

/** The next message: [topic, payload]. */
export const nextMessage = (client: MqttClient): Promise<[string, Buffer]> =>
  nextEvent<[string, Buffer]>(client, 'message')
