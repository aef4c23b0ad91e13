// Which AWS service errors are transient (worth another try, or a fall-back to what was read before).
// Free of SDK imports, so the $connect bundle can use it without the management API client.

export interface ServiceFault {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * Throttling (429, LimitExceeded) and server faults (5xx): transient. A post to a connection either happened
 * or not, so the sender retries them.
 */
export function isRetryableSendFault(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const fault = error as ServiceFault;
  const status = fault.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || status >= 500) return true;
  if (fault.$retryable?.throttling) return true;
  return (
    fault.name === 'LimitExceededException' ||
    fault.name === 'ThrottlingException' ||
    fault.name === 'TooManyRequestsException' ||
    fault.name === 'InternalServerError' ||
    fault.name === 'ServiceUnavailable' ||
    fault.name === 'TimeoutError' ||
    (error as { code?: string }).code === 'ECONNRESET'
  );
}
