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
      providers: { aws: '7.20.0', kubernetes: '4.34.2' },
    };
  },
  async run() {
    const { loadStageConfig } = await import('@hybrid-runner/config');
    const { deployRunner } = await import('./stacks/runner.ts');
    const outputs = deployRunner(loadStageConfig($app.stage));
    return {
      websocketUrl: outputs.websocketUrl,
      agentId: outputs.agentId,
      dashboardUrl: outputs.dashboardUrl,
    };
  },
});
