// Lint rules. The core boundary rule is the one that matters architecturally: packages/core is the pure
// domain and must stay free of AWS, Kubernetes and Lambda modules (test/unit/core/boundary.test.ts proves
// this rule fires).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export const coreForbiddenImports = {
  patterns: [
    {
      group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', '@middy/*'],
      message:
        'packages/core must not import AWS modules: put the code in an adapter (packages/aws) behind a port.',
    },
    {
      group: ['@kubernetes/client-node', '@kubernetes/*'],
      message:
        'packages/core must not import the Kubernetes client: put the code in packages/kubernetes behind the cluster port.',
    },
    {
      group: ['aws-lambda'],
      message: 'packages/core must not import Lambda types: handlers live in functions/.',
    },
    {
      group: [
        '@hybrid-runner/aws',
        '@hybrid-runner/kubernetes',
        '@hybrid-runner/k8s-emulator',
        '@hybrid-runner/local',
        '@hybrid-runner/cli',
        '@hybrid-runner/config',
        '**/aws/src/**',
        '**/kubernetes/src/**',
      ],
      message: 'packages/core must not import an adapter; adapters depend on core, never the reverse.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.sst/**', 'dist/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreForbiddenImports] },
  },
);
