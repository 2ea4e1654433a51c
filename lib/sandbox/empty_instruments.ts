/**
 * Equivalents of the upstream dispatcher's built-in dummy plugin
 * (`cdci_data_analysis/plugins/dummy_plugin`, dispatcher-protocol.md §11):
 * `empty`, `empty-async`, `empty-semi-async`, `empty-development`,
 * `empty-async-return-progress`, `empty-with-conf`, `empty-with-posix-path`,
 * for protocol tests against the sandbox.
 *
 * @module
 */
import type { ParameterSpec, ProductOutput, SandboxInstrument } from "./instrument.ts";
import { ExitFailure, type ServerProductSpec } from "./jobs.ts";
import { pyFloat } from "./pyjson.ts";
import { defaultEcho, echo, numericalDummy, numpyProduct } from "./dummy_outputs.ts";

const FLOAT_OWL = ["http://www.w3.org/2001/XMLSchema#float", "http://odahub.io/ontology#Float"];
const STR_OWL = ["http://www.w3.org/2001/XMLSchema#str", "http://odahub.io/ontology#String"];

const P: ParameterSpec = {
  name: "p",
  type: "float",
  units: "W",
  default: 10,
  owl_uri: FLOAT_OWL,
  check: (v) => (typeof v === "number" && v > 800 ? "p value is restricted to 800 W" : undefined),
};

const P_LIST: ParameterSpec = {
  name: "p_list",
  type: "list",
  units: null,
  default: [],
  optional: true,
  owl_uri: ["http://odahub.io/ontology#InputProdList"],
};
const SCW_LIST: ParameterSpec = { ...P_LIST, name: "scw_list" };

function numericalRoles(params: Record<string, unknown>): Record<string, string> {
  if (typeof params.p === "number" && params.p > 50) {
    return {
      general: "general role is needed for p>50",
      "unige-hpc-full": "unige-hpc-full role is needed for p>50 as well",
    };
  }
  return { general: "please refer to support for details" };
}

/** Upstream's text for a product whose backend raised (`InternalError`). */
function supportNotified(instrument: string, product: string): string {
  return `Instrument: ${instrument}, product: ${product}\n\nThe support team has been notified, and we are ` +
    "investigating to resolve the issue as soon as possible\n\nIf you are willing to help us, please use the " +
    '"Write a feedback" button below. We will make sure to respond to any feedback provided';
}

/**
 * A Real query on an instrument without a data server, as upstream answers it: the `dummy` product fails
 * unpacking the missing backend answer, the others fail testing the communication with it.
 */
function failReal(product: string, instrument = "empty"): () => never {
  return () => {
    if (product === "dummy") {
      throw new ExitFailure("failed: dummy", "TypeError('cannot unpack non-iterable NoneType object')");
    }
    throw new ExitFailure(
      `unexpected error while testing communication with [ Instrument : ${instrument} ], ` +
        "DataServerQueryClassNotSet('in test_communication')",
      supportNotified(instrument, product),
    );
  };
}

function emptyProducts(instrument = "empty"): Record<string, ServerProductSpec> {
  const prods: ServerProductSpec[] = [
    {
      name: "dummy",
      queryName: "empty_parameters_dummy_query",
      parameters: [],
      async: false,
      prodProcessMessage: true,
      failMessage: "failed: dummy",
      run: failReal("dummy", instrument),
      dummy: () => ({}),
    },
    {
      name: "numerical",
      queryName: "numerical_parameters_dummy_query",
      parameters: [P],
      async: false,
      requiredRoles: numericalRoles,
      run: failReal("numerical", instrument),
      dummy: numericalDummy,
      runOnGiven: true, // selected_catalog as sent (float/int kept apart)
    },
    {
      name: "file_dummy",
      queryName: "file_parameters_dummy_query",
      parameters: [P, {
        name: "dummy_file",
        type: "string",
        units: "str",
        default: null,
        optional: true,
        owl_uri: [...STR_OWL, "http://odahub.io/ontology#FileReference", "http://odahub.io/ontology#FileURL"],
      }],
      async: false,
      run: failReal("file_dummy", instrument),
      dummy: numericalDummy,
      runOnGiven: true, // selected_catalog as sent (float/int kept apart)
    },
    {
      name: "failing",
      queryName: "failing_parameters_dummy_query",
      parameters: [],
      async: false,
      run: () => {
        throw new ExitFailure(
          "Error when getting query products",
          supportNotified(instrument, "failing"),
          "InternalError()",
        );
      },
    },
    {
      name: "parametrical",
      queryName: "parametrical_parameters_dummy_query",
      parameters: [{
        name: "sb",
        type: "float",
        units: "keV",
        default: 10,
        owl_uri: ["http://odahub.io/ontology#Energy", "http://odahub.io/ontology#Frequency"],
      }],
      async: false,
      run: failReal("parametrical", instrument),
      dummy: () => ({}),
    },
    {
      name: "echo",
      queryName: "echo_parameters_dummy_query",
      parameters: [
        {
          name: "ang",
          type: "float",
          units: "arcsec",
          default: 1,
          owl_uri: ["http://odahub.io/ontology#Angle"],
        },
        {
          name: "ang_deg",
          type: "float",
          units: "deg",
          defaultUnits: "arcsec",
          default: 1,
          owl_uri: ["http://odahub.io/ontology#Angle"],
        },
        {
          name: "energ",
          type: "float",
          units: "MeV",
          defaultUnits: "keV",
          default: 1,
          unitsName: "energy_units",
          owl_uri: ["http://odahub.io/ontology#Energy", "http://odahub.io/ontology#Frequency"],
        },
      ],
      async: false,
      run: echo,
      runOnGiven: true,
    },
    {
      name: "restricted",
      queryName: "restricted_parameters_dummy_query",
      parameters: [
        {
          name: "bounded_int_par",
          type: "int",
          units: null,
          default: 5,
          min: 2,
          max: 8,
          owl_uri: ["http://www.w3.org/2001/XMLSchema#int", "http://odahub.io/ontology#Integer"],
        },
        {
          name: "bounded_float_par",
          type: "float",
          units: null,
          default: 5,
          min: 2.2,
          max: 7.7,
          owl_uri: FLOAT_OWL,
        },
        {
          name: "string_select_par",
          type: "select",
          units: "str",
          default: "spam",
          allowedValues: ["spam", "eggs", "ham"],
          owl_uri: STR_OWL,
        },
      ],
      async: false,
      run: echo,
      runOnGiven: true,
    },
    {
      name: "structured",
      queryName: "structured_param_dummy_query",
      parameters: [{
        name: "struct",
        type: "structured",
        units: null,
        default: { a: [1, 2] } as unknown as unknown[],
        schema: { oneOf: [{ type: "object" }, { type: "array" }] },
        owl_uri: ["http://odahub.io/ontology#StructuredParameter"],
      }],
      async: false,
      run: defaultEcho,
    },
    {
      name: "optional",
      queryName: "optional_param_dummy_query",
      parameters: [
        {
          name: "optional_def_float",
          type: "float",
          units: null,
          default: 5,
          optional: true,
          owl_uri: FLOAT_OWL,
        },
        {
          name: "optional_def_none",
          type: "float",
          units: null,
          default: null,
          optional: true,
          owl_uri: FLOAT_OWL,
        },
      ],
      async: false,
      run: defaultEcho,
    },
  ];
  return Object.fromEntries(prods.map((p) => [p.name, p]));
}

function asyncDummyOutput(params: Record<string, unknown>): ProductOutput {
  return {
    input_param_scw_list: numpyProduct([0], new Float64Array(0), {
      hdu_type: null,
      meta_data: { scw_list: (params.scw_list as unknown[]) ?? [] },
    }),
  };
}

/**
 * The dummy instruments, in upstream order.
 *
 * @example
 * ```ts
 * import { emptyInstruments } from "./empty_instruments.ts";
 * emptyInstruments().map((i) => i.name); // ["empty", "empty-async", ...]
 * ```
 */
export function emptyInstruments(productsUrl = "PRODUCTS_URL"): SandboxInstrument[] {
  const empty: SandboxInstrument = {
    name: "empty",
    queryName: "empty_instrument_query",
    parameters: [P_LIST],
    products: emptyProducts(),
  };
  const asyncProducts: ServerProductSpec[] = [
    ...[
      ["dummy", "empty_parameters_dummy_query"],
      ["dummy-log-submit", "empty_parameters_dummy_query_log_submit"],
    ].map(([name, queryName]): ServerProductSpec => ({
      name,
      queryName,
      parameters: [],
      async: true,
      backend: "callback",
      prodProcessMessage: true,
      comment: "mock comment",
      warning: "mock warning",
      run: asyncDummyOutput,
      dummy: () => ({}),
    })),
    {
      name: "numerical",
      queryName: "numerical_parameters_dummy_query",
      parameters: [P, {
        name: "string_like_name",
        type: "string",
        units: "str",
        default: "default-name",
        owl_uri: STR_OWL,
      }],
      async: true,
      backend: "callback",
      comment: "mock comment",
      warning: "mock warning",
      requiredRoles: () => ({ general: "please refer to support for details" }),
      run: numericalDummy,
      dummy: numericalDummy,
      runOnGiven: true, // selected_catalog as sent (float/int kept apart)
    },
  ];
  const emptyAsync: SandboxInstrument = {
    name: "empty-async",
    queryName: "empty_async_instrument_query",
    parameters: [SCW_LIST],
    products: Object.fromEntries(asyncProducts.map((p) => [p.name, p])),
  };
  const semi = (name: string): ServerProductSpec => ({
    name,
    queryName: name === "dummy" ? "empty_parameters_dummy_query" : "numerical_parameters_dummy_query",
    parameters: name === "dummy" ? [] : [P],
    async: true,
    backend: "semi",
    comment: "mock comment",
    warning: "mock warning",
    requiredRoles: name === "dummy" ? undefined : () => ({ general: "please refer to support for details" }),
    semiStatus: (params) => {
      const p = typeof params.p === "number" ? params.p : 10;
      if (p === -1) return "failed";
      if (p >= 0 && p < 4) return "submitted";
      return "done";
    },
    run: () => ({}),
    dummy: name === "dummy" ? () => ({}) : numericalDummy,
  });
  const emptySemi: SandboxInstrument = {
    name: "empty-semi-async",
    queryName: "empty_semi_async_instrument_query",
    parameters: [],
    products: { dummy: semi("dummy"), numerical: semi("numerical") },
  };
  const devProducts = emptyProducts("empty-development");
  for (const k of ["file_dummy", "restricted", "structured", "optional"]) delete devProducts[k];
  const emptyDev: SandboxInstrument = {
    name: "empty-development",
    queryName: "empty_development_instrument_query",
    parameters: [P_LIST],
    products: devProducts,
    roles: ["oda workflow developer"],
  };
  const returnProgress: SandboxInstrument = {
    name: "empty-async-return-progress",
    queryName: "empty_async_return_progress_instrument_query",
    parameters: [],
    products: {
      dummy: {
        name: "dummy",
        queryName: "return_progress_parameters_dummy_query",
        parameters: [P],
        async: true,
        backend: "callback",
        comment: "mock comment",
        warning: "mock warning",
        run: (params) => ({ p: pyFloat(params.p as number) }),
        dummy: () => ({}),
        // upstream reads the current value from a file the test backend writes
        returnProgress: (params) => ({ p: pyFloat(Math.round((params.p as number) * 0.3)) }),
      } as ServerProductSpec,
    },
  };
  const withConf: SandboxInstrument = {
    name: "empty-with-conf",
    queryName: "empty_with_conf_instrument_query",
    parameters: [P_LIST],
    products: {
      dummy: {
        name: "dummy",
        queryName: "empty_parameters_dummy_query",
        parameters: [],
        async: true,
        backend: "callback",
        comment: `dataserver products url: ${productsUrl}`,
        warning: "mock warning",
        run: () => ({}),
        dummy: () => ({}),
      } as ServerProductSpec,
    },
  };
  const posix: SandboxInstrument = {
    name: "empty-with-posix-path",
    queryName: "empty_with_posix_path_instrument_query",
    parameters: [P_LIST],
    products: {
      file_dummy: {
        name: "file_dummy",
        queryName: "file_parameters_dummy_query",
        parameters: [{
          name: "dummy_POSIX_file",
          type: "string",
          units: "str",
          default: null,
          optional: true,
          owl_uri: [...STR_OWL, "http://odahub.io/ontology#POSIXPath"],
        }, P],
        async: false,
        run: failReal("file_dummy", "empty-with-posix-path"),
        dummy: numericalDummy,
        runOnGiven: true, // selected_catalog as sent (float/int kept apart)
      } as ServerProductSpec,
    },
  };
  return [empty, emptyAsync, emptySemi, emptyDev, returnProgress, withConf, posix];
}
