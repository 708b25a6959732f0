/**
 * `ncli completion …`: print the shell completion scripts (src/completion/scripts.ts); the same
 * text is committed as completions/ncli.bash and completions/_ncli.
 */
import { command } from '../cli/spec.js';
import { bashScript, zshScript } from '../completion/scripts.js';

/** The group's one-line help. */
export const help = 'Shell completion scripts (bash, zsh)';

/** `ncli completion bash`: prints completions/ncli.bash ({@link bashScript}). Never fails. */
export const do_bash = command(
  {
    help: 'Print the bash completion script',
    description: [
      'Completes groups, commands, options, option values, cloud names, and server and flavor',
      'names from a local cache that list and show commands refresh (TAB never calls the API).',
      'Examples:',
      '  source <(ncli completion bash)      # in ~/.bashrc',
      '  ncli completion bash > ~/.local/share/bash-completion/completions/ncli',
    ].join('\n'),
    args: [],
  },
  (ctx) => {
    ctx.write(bashScript());
  },
);

/** `ncli completion zsh`: prints completions/_ncli ({@link zshScript}). Never fails. */
export const do_zsh = command(
  {
    help: 'Print the zsh completion script',
    description: [
      'Completes groups, commands, options, option values, cloud names, and server and flavor',
      'names from a local cache that list and show commands refresh (TAB never calls the API).',
      'Examples:',
      '  ncli completion zsh > "${fpath[1]}/_ncli"   # then restart zsh',
      '  source <(ncli completion zsh)               # in ~/.zshrc, after compinit',
    ].join('\n'),
    args: [],
  },
  (ctx) => {
    ctx.write(zshScript());
  },
);
