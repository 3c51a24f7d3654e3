// The management pages' shared state: the admin REST client for the signed-in operator, and
// whether that operator may use it (the admin role; the server checks it again on every call).
import { computed } from 'vue'
import { useSession } from '../session.ts'
import { createAdminApi } from './rest.ts'

export function useAdmin() {
  const session = useSession()
  const api = computed(() => {
    const token = session.state.token
    return token ? createAdminApi(token, session.signOut) : null
  })
  const isAdmin = computed(() => session.state.role === 'admin')
  return { api, isAdmin, i18n: session.i18n }
}
