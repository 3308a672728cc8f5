// context.js - the open town's store (town.js), for every component under the town's shell.
import { createContext, useContext } from "solid-js";

export const TownContext = createContext(null);

export function useTown() {
	return useContext(TownContext);
}
