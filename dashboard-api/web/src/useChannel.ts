// A view's live data: subscribe when the component is set up, unsubscribe when it goes. The
// collection itself is not reactive (2,400 bins would each become a proxy); a version counter
// is, bumped at most once per animation frame however many deltas arrived, so a burst of
// deltas costs one render.
import { getCurrentInstance, onBeforeUnmount, shallowRef, type ShallowRef } from 'vue'
import { createCollection } from './live.ts'
import { useSession } from './session.ts'
import { frameThrottle } from './throttle.ts'

export function useCollection<T>(channel: string, keyOf: (item: T) => string) {
  const { state } = useSession()
  const collection = createCollection<T>(keyOf)
  const version = shallowRef(0)
  const bump = frameThrottle(() => version.value++)
  const stop = state.live?.subscribe(channel, undefined, {
    snapshot: (d: { items: T[] }) => {
      collection.snapshot(d)
      bump()
    },
    delta: (d: { items: T[]; removed: string[] }) => {
      collection.delta(d)
      bump()
    }
  })
  if (getCurrentInstance()) onBeforeUnmount(() => stop?.())
  return { collection, items: collection.items, version, bump }
}

/** A channel whose snapshot and deltas each carry the whole value (city, site). */
export function useValue<T>(
  channel: string,
  params?: object,
  onError?: (msg: { code: string }) => void
): ShallowRef<T | null> {
  const { state } = useSession()
  const value = shallowRef<T | null>(null)
  let latest: T | null = null
  const apply = frameThrottle(() => {
    value.value = latest
  })
  const set = (d: T): void => {
    latest = d
    apply()
  }
  const stop = state.live?.subscribe(channel, params, { snapshot: set, delta: set, error: onError })
  if (getCurrentInstance()) onBeforeUnmount(() => stop?.())
  return value
}
