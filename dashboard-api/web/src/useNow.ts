import { getCurrentInstance, onBeforeUnmount, shallowRef, type ShallowRef } from 'vue'

/** The wall clock as a reactive value, ticking every `everyMs` while the component lives (countdowns, hours reached). */
export function useNow(everyMs = 30_000): ShallowRef<number> {
  const now = shallowRef(Date.now())
  const timer = setInterval(() => {
    now.value = Date.now()
  }, everyMs)
  if (getCurrentInstance()) onBeforeUnmount(() => clearInterval(timer))
  return now
}
