/**
 * `npm run richmenu -- apply <folder> [--as linked|unlinked] [--default]` creates a rich menu
 * from a folder (richmenu.json and its image) and prints the setting line;
 * `npm run richmenu -- sync [--endpoint URL | --region R --table T]` brings every existing link
 * in line with RICH_MENU_LINKED_ID. `npm run richmenu -- --help` lists the options.
 */
import { runRichMenuCli } from '../functions/richmenu/rich-menu-cli.js';

process.exitCode = await runRichMenuCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
