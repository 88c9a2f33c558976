import { ref } from '../components.js';
import { jsonBody, type Area } from '../operation.js';

/** What operators and load balancers call. */
export const HEALTH: Area = {
  tag: { name: 'operations' },
  operations: {
    'GET /health': {
      summary: 'Liveness',
      responses: { '200': jsonBody(ref('Health'), 'Up.') },
      problems: [],
    },
  },
};
