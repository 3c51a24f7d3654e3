// REST calls to /api/v1 with the operator's bearer token (dashboard-api/routes).
/* global fetch, document, URL, URLSearchParams, setTimeout */

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** @param {string} token @param {() => void} onUnauthorized */
export function createApi(token, onUnauthorized) {
  const call = async (method, path, query) => {
    const qs = query
      ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''))}`
      : ''
    const res = await fetch(`/api/v1${path}${qs}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' }
    })
    if (res.status === 401) onUnauthorized()
    if (!res.ok) {
      let code = `HTTP_${res.status}`
      let message = res.statusText
      try {
        const body = await res.json()
        code = body.error?.code ?? code
        message = body.error?.message ?? message
      } catch {
        // not JSON
      }
      throw new ApiError(res.status, code, message)
    }
    return res
  }
  return {
    get: async (path, query) => (await call('GET', path, query)).json(),
    post: async (path) => (await call('POST', path)).json(),
    /**
     * A download that needs the Authorization header: fetch it, then hand the browser a Blob
     * URL (a plain link cannot carry the bearer token). The name is the server's.
     */
    async download(path, query, fallbackName) {
      const res = await call('GET', path, query)
      const disposition = res.headers.get('content-disposition') ?? ''
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName
      const url = URL.createObjectURL(await res.blob())
      const a = document.createElement('a')
      a.href = url
      a.download = name
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      return name
    }
  }
}

/** Verify a token before keeping it: any viewer route answers 200 for a valid token. */
export async function checkToken(token) {
  const res = await fetch('/api/v1/city', { headers: { authorization: `Bearer ${token}` } })
  if (res.status === 401 || res.status === 403) return false
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText)
  return true
}
