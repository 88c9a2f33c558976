import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', '**/cdk.out', '.data', 'coverage', 'bench/.out'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  { files: ['functions/local/demo/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The CDK app shares with the functions only what both must agree on (routes, tables, CORS,
    // the configuration schema): functions/manifest/. Anything else would bundle runtime code into synth.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)functions/(?!manifest/)',
              message: 'lib/ imports from functions/ only through functions/manifest/.',
            },
          ],
        },
      ],
    },
  },
);
