// REST calls to /api/v1 with the operator's bearer token (dashboard-api/routes).

/** A field the server refused (`details.issues` of API_E_VALIDATION / API_E_CONFLICT). */
export interface FieldIssue {
  readonly path: string
  readonly message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly FieldIssue[] = []
  ) {
    super(message)
  }
}

type Query = Record<string, string | number | undefined>

export type Api = ReturnType<typeof createApi>

export function createApi(token: string, onUnauthorized: () => void) {
  const call = async (method: string, path: string, query?: Query, body?: unknown): Promise<Response> => {
    const qs = query
      ? `?${new URLSearchParams(
          Object.entries(query)
            .filter(([, v]) => v !== undefined && v !== '')
            .map(([k, v]) => [k, String(v)])
        )}`
      : ''
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`/api/v1${path}${qs}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    if (res.status === 401) onUnauthorized()
    if (!res.ok) {
      let code = `HTTP_${res.status}`
      let message = res.statusText
      let issues: FieldIssue[] = []
      try {
        const b = (await res.json()) as {
          error?: { code?: string; message?: string; details?: { issues?: FieldIssue[] } }
        }
        code = b.error?.code ?? code
        message = b.error?.message ?? message
        issues = Array.isArray(b.error?.details?.issues) ? b.error.details.issues : []
      } catch {
        // not JSON
      }
      throw new ApiError(res.status, code, message, issues)
    }
    return res
  }
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
    get: async <T = any>(path: string, query?: Query): Promise<T> => (await call('GET', path, query)).json(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
    post: async <T = any>(path: string, body?: unknown): Promise<T> =>
      (await call('POST', path, undefined, body)).json(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller names the shape
    patch: async <T = any>(path: string, body: unknown): Promise<T> =>
      (await call('PATCH', path, undefined, body)).json(),
    /**
     * A download that needs the Authorization header: fetch it, then hand the browser a Blob
     * URL (a plain link cannot carry the bearer token). The name is the server's.
     */
    async download(path: string, query: Query, fallbackName: string): Promise<string> {
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
export async function checkToken(token: string): Promise<boolean> {
  const res = await fetch('/api/v1/city', { headers: { authorization: `Bearer ${token}` } })
  if (res.status === 401 || res.status === 403) return false
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText)
  return true
}
