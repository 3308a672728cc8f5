// main.jsx - mounts the dashboard.
import { render } from "solid-js/web";
import App from "./App.jsx";
import "./styles.css";

render(() => <App />, document.getElementById("app"));
