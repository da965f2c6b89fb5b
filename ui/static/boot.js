// Loads the Yew app (built by `cargo xtask ui` with wasm-bindgen --target web).
import init from "./dealdesk_ui.js";
init();
