// The runner's own secrets (bot JWT, ECR keys) in Secrets Manager, where the functions read them at run time.
import type { SecretLocation } from '@hybrid-runner/config';

/** An SST secret copied into Secrets Manager (the functions read it at run time), or a given ARN. */
export function storedSecret(
  id: string,
  location: SecretLocation,
  description: string,
): $util.Output<string> {
  if ('secretArn' in location && location.secretArn) return $util.output(location.secretArn);
  const value = new sst.Secret((location as { sstSecret: string }).sstSecret);
  const secret = new aws.secretsmanager.Secret(`${id}Secret`, {
    // Outside secretsManager.prefix on purpose: the ingestion pods' role must never reach the runner's own secrets.
    namePrefix: `${$app.name}/${$app.stage}/${id}-`,
    description,
  });
  new aws.secretsmanager.SecretVersion(`${id}SecretVersion`, {
    secretId: secret.id,
    secretString: value.value,
  });
  return secret.arn;
}
