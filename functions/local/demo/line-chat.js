// "Chat with the Official Account" (pattern 4): links to each test user's LINE chat, served by the
// LINE Platform emulator. There the user adds the account as a friend, gets the service's linking
// message, signs in at the company and confirms LINE's account-link dialog. Self-contained on
// purpose (it only reads config.json), so it does not depend on the rest of the demo's scripts.
const section = document.getElementById('line-chat');
const list = document.getElementById('line-chat-users');

const config = await (await fetch('config.json')).json();
if (!config.lineEmulator) {
  section.querySelector('.hint').textContent =
    'The LINE Platform emulator is not running (LINE_API_BASE is set), so there are no chat pages.';
} else {
  const { users } = await (await fetch(`${config.lineEmulator}/_emulator/users`)).json();
  for (const user of users) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `${config.lineEmulator}/_emulator/chat/${encodeURIComponent(user.userId)}`;
    a.textContent = user.displayName;
    a.dataset.userId = user.userId;
    li.append(a);
    list.append(li);
  }
}
