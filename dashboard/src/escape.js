// escape.js - Escape closes the panel opened last (detail panels, the Mayor chat, dialogs).
// Keys typed into an agent's terminal belong to the agent, not to us.
const stack = [];

export function onEscape(fn) {
	stack.push(fn);
	return () => {
		const i = stack.lastIndexOf(fn);
		if (i >= 0) stack.splice(i, 1);
	};
}

document.addEventListener("keydown", (e) => {
	if (e.key !== "Escape" || e.defaultPrevented || !stack.length) return;
	if (e.target instanceof Element && e.target.closest(".xterm")) return;
	e.preventDefault();
	stack[stack.length - 1]();
});
