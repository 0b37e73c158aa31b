// The one place the client's version lives: it is sent as the User-Agent,
// whose part before the slash the API server takes as the field manager
// (managedFields name "picokubelet" without a ?fieldManager on every path).
export const PICOKUBELET_VERSION = "0.1.0"
export const USER_AGENT = `picokubelet/${PICOKUBELET_VERSION}`
