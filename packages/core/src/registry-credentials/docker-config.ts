// The `.dockerconfigjson` document of a registry pull secret.
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';

/** The `.dockerconfigjson` document for one or more registries. */
export function buildDockerConfigJson(
  logins: Array<{ registryHost: string; username: string; password: string }>,
): string {
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const login of logins) {
    auths[login.registryHost] = {
      username: login.username,
      password: login.password,
      auth: Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64'),
    };
  }
  return JSON.stringify({ auths });
}
