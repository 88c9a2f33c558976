import { createMessagesBatchSqsHandler } from '../../handlers/messages-batch-sqs.js';
import { messageBatchPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `messages-batch-sqs` function's handler, built from a wiring (functions/handlers/messages-batch-sqs.ts). */
export const messagesBatchSqs = (w: Wiring) => createMessagesBatchSqsHandler(messageBatchPorts(w));
