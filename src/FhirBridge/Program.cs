Console.WriteLine("fhirbridge");
