// The messenger REST API (docs/REALTIME.md section 4), on the frame's own origin.

/** A failed call: HTTP status (0 when the network failed) and the first error code of the error.list. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ErrorList {
  errors?: Array<{ code?: string; message?: string }>;
}

/** Calls `path` with the visitor token; JSON in, JSON out. */
export async function call<T>(path: string, options: { method?: string; token?: string | null; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The network is unavailable');
  }
  const text = await response.text().catch(() => '');
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const first = (json as ErrorList | null)?.errors?.[0];
    throw new ApiError(response.status, first?.code ?? `http_${response.status}`, first?.message ?? response.statusText);
  }
  return json as T;
}
