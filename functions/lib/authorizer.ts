// The $connect checks, built once per container: which source addresses may connect (stage
// `bridge.allowedSourceCidrs`), and the bot token (current, or previous during a rotation's grace period;
// see bot-tokens.ts) with optional JWKS verification; or the injected stand-ins.
import { connectAuthorizer, jwksVerifier, type ConnectAuthorizer } from '@hybrid-runner/aws';
import { readFunctionEnvironment } from '@hybrid-runner/config';
import { sourceAllowList, type SourceAllowList } from '@hybrid-runner/core';
import { bridgeOverrides, onBridgeReconfigured } from './bridge-context.ts';
import { botTokens } from './bot-tokens.ts';

let cached: ConnectAuthorizer | undefined;
let cachedSources: SourceAllowList | undefined;
onBridgeReconfigured(() => {
  cached = undefined;
  cachedSources = undefined;
});

export function authorizer(env: NodeJS.ProcessEnv = process.env): ConnectAuthorizer {
  const injected = bridgeOverrides();
  if (injected) return injected.authorizer;
  if (!cached) {
    const functionEnv = readFunctionEnvironment(env);
    const { jwks } = functionEnv;
    cached = connectAuthorizer({
      agentId: functionEnv.settings.agentId,
      tokens: botTokens(env),
      ...(jwks
        ? { verifyJwt: jwksVerifier({ jwksUrl: jwks.url, ...(jwks.issuer ? { issuer: jwks.issuer } : {}) }) }
        : {}),
    });
  }
  return cached;
}

/** The source allow list (empty: any source); injected stand-ins may give their own. */
export function allowedSources(env: NodeJS.ProcessEnv = process.env): SourceAllowList {
  const injected = bridgeOverrides();
  if (injected) return sourceAllowList(injected.allowedSourceCidrs ?? []);
  cachedSources ??= sourceAllowList(readFunctionEnvironment(env).allowedSourceCidrs);
  return cachedSources;
}
