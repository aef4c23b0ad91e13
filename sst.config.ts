// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- SST declares its globals ($config, sst, aws) in this generated file; it has nothing to import.
/// <reference path="./.sst/platform/config.d.ts" />
// Thin on purpose: the app, its providers, then the stack as a function of stages/<stage>.yaml.
export default $config({
  app(input) {
    return {
      name: 'hybrid-runner',
      home: 'aws',
      removal: input?.stage === 'production' ? 'retain' : 'remove',
      protect: input?.stage === 'production',
      providers: { kubernetes: '4.34.2' },
    };
  },
  async run() {
    const { loadStageConfig } = await import('@hybrid-runner/config');
    const { deployRunner } = await import('./stacks/runner.ts');
    // stages/<stage>.yaml beside this file; HYBRID_RUNNER__* environment variables override it.
    const outputs = deployRunner(loadStageConfig($app.stage, { directory: `${$cli.paths.root}/stages` }));
    // Inbound: the endpoint Collate connects to. Outbound: no endpoint of ours; the URL the keeper dials.
    return {
      ...('websocketUrl' in outputs
        ? { websocketUrl: outputs.websocketUrl }
        : { outboundUrl: outputs.outboundUrl }),
      agentId: outputs.agentId,
      dashboardUrl: outputs.dashboardUrl,
    };
  },
});
