// A kubeconfig `exec` credential plugin for the EKS-mode contract test: runs the CLI's eks token command
// with the credentials in the environment, as `hybrid-runner eks token` would.
import { runEksTokenCommand } from '../../../packages/cli/src/commands/eks-token.ts';

await runEksTokenCommand({
  cluster: process.env.EKS_CLUSTER ?? '',
  region: process.env.EKS_REGION ?? '',
  credentials: {
    accessKeyId: process.env.TEST_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.TEST_SECRET_ACCESS_KEY ?? '',
    sessionToken: process.env.TEST_SESSION_TOKEN ?? '',
  },
});
