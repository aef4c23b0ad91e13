// ECR's authorization token, decoded into the registry login (errors never quote the token).
import { RegistryLoginError } from './errors.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes ECR's `authorizationToken` (base64 of `AWS:<password>`). Errors never quote the token. */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  if (!token || !BASE64.test(token)) {
    throw new RegistryLoginError(
      'ECR returned an authorization token that is not base64; retry the refresh.',
    );
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0 || separator === decoded.length - 1) {
    throw new RegistryLoginError(
      'ECR returned an authorization token without the "<user>:<password>" form; retry the refresh.',
    );
  }
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}
