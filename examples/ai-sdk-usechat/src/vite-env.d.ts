/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Default API key for the page (dev only: anything in a bundle is public). */
  readonly VITE_TWIN_API_KEY?: string;
}
